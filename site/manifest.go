package site

// The tamper check (issue 20; 挂马/篡改 left unhandled fails a government
// site): every build that goes live writes a manifest of the content hash
// of every file it published, in the format of the bucket's manifests
// (bucket.go), to <DataDir>/site/manifests/<build>.json.gz. CheckTamper
// compares the live build directory, and the bucket when there is one,
// with it and reports every file added, changed or removed outside a
// build; Restore puts the published version back.
//
// A full build hashes its fresh directory. An incremental one starts from
// the previous manifest and hashes again only the files it wrote (those
// modified since it started), so a file changed behind Huimin's back
// before a publish is not taken into the new manifest as published.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/huimin/huimin/cms"
)

const manifestsName = "manifests"

// Tamper changes.
const (
	TamperAdded   = "added"
	TamperChanged = "changed"
	TamperRemoved = "removed"
)

// TamperFinding is one file that differs from what the build published.
type TamperFinding struct {
	Path   string `json:"path"`   // slash path in the build ("stories/x/index.html")
	Change string `json:"change"` // added, changed or removed
	Where  string `json:"where"`  // "site" (the live build directory) or "bucket"
}

// TamperReport is the result of one tamper check.
type TamperReport struct {
	Build     string          `json:"build"`
	CheckedAt time.Time       `json:"checked_at"`
	Files     int             `json:"files"` // files the manifest lists
	Findings  []TamperFinding `json:"findings"`
}

// manifestCache is the manifest this process last wrote, kept for the next
// incremental build (callers hold the build lock).
type manifestCache struct {
	name  string
	files map[string]string
}

func (s *Site) manifestPath(name string) string {
	return s.path(manifestsName, name+".json.gz")
}

// writeManifest records the files of the live build o. When touched is not
// nil (an incremental build: the files it wrote or removed in o), the
// manifest this process wrote last for o is brought up to date with them,
// without walking the directory.
func (s *Site) writeManifest(o *output, buildID int64, touched []string) error {
	if err := os.MkdirAll(s.path(manifestsName), 0o755); err != nil {
		return err
	}
	var files map[string]string
	if c := s.lastManifest; touched != nil && c.name == o.name && c.files != nil {
		files = c.files
		for _, rel := range touched {
			sum, err := hashFile(filepath.Join(o.dir, filepath.FromSlash(rel)))
			if errors.Is(err, fs.ErrNotExist) {
				delete(files, rel)
				continue
			} else if err != nil {
				s.lastManifest = manifestCache{}
				return err
			}
			files[rel] = sum
		}
	} else {
		var err error
		if files, _, err = (&mirror{}).hashTree(o.dir, nil); err != nil {
			return err
		}
	}
	s.lastManifest = manifestCache{}
	b, err := encodeManifest(bucketManifest{Build: buildID, Files: files})
	if err != nil {
		return err
	}
	if err := writeAtomic(s.manifestPath(o.name), b); err != nil {
		return err
	}
	s.lastManifest = manifestCache{name: o.name, files: files}
	// Manifests of build directories pruned since go too.
	entries, _ := os.ReadDir(s.path(manifestsName))
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json.gz")
		if !ok {
			continue
		}
		if _, err := os.Stat(s.path("builds", name)); errors.Is(err, fs.ErrNotExist) {
			os.Remove(s.path(manifestsName, e.Name()))
		}
	}
	return nil
}

func (s *Site) readManifest(name string) (*bucketManifest, error) {
	b, err := os.ReadFile(s.manifestPath(name))
	if err != nil {
		return nil, err
	}
	return decodeManifest(b, s.manifestPath(name))
}

// walkFiles calls fn for every regular file below dir but hidden ones, as
// hashTree and the link check see them.
func walkFiles(dir string, fn func(rel, name string, d fs.DirEntry) error) error {
	return filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, name)
		if err != nil {
			return err
		}
		return fn(filepath.ToSlash(rel), name, d)
	})
}

// ErrNoManifest is returned by CheckTamper when the live build has no
// manifest yet (it was made before manifests were written): a full build
// writes one.
var ErrNoManifest = errors.New("the live build has no manifest; build the site in full once")

// CheckTamper compares the live build directory, and the bucket's site
// when there is one, with the manifest of the live build.
func (s *Site) CheckTamper(ctx context.Context) (*TamperReport, error) {
	ctx = s.scope(ctx)
	o := s.current()
	if o == nil {
		return nil, errors.New("no build is live")
	}
	mf, err := s.readManifest(o.name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoManifest
	} else if err != nil {
		return nil, err
	}
	rep := &TamperReport{Build: o.name, CheckedAt: time.Now().UTC(), Files: len(mf.Files), Findings: []TamperFinding{}}
	// Hash every file afresh: a changed file may keep its size and time.
	cur, _, err := (&mirror{}).hashTree(o.dir, nil)
	if err != nil {
		return nil, err
	}
	rep.Findings = append(rep.Findings, diffFiles(mf.Files, cur, "site")...)
	if s.mirror != nil {
		inBucket, err := s.bucketFiles(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading the bucket's site: %w", err)
		}
		// The bucket holds what the last copy sent: compare it with the
		// bucket's own manifest of that copy.
		bm, err := s.mirror.published(ctx)
		if err != nil {
			return nil, err
		}
		rep.Findings = append(rep.Findings, diffFiles(bm, inBucket, "bucket")...)
	}
	if len(rep.Findings) > 0 {
		s.log.Error("published files changed outside a build", "build", o.name, "findings", len(rep.Findings),
			"first", rep.Findings[0].Where+":"+rep.Findings[0].Path+" "+rep.Findings[0].Change)
	}
	return rep, nil
}

// bucketFiles hashes every object below site/ in the bucket.
func (s *Site) bucketFiles(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	for info, err := range s.cfg.Bucket.List(ctx, bucketSite) {
		if err != nil {
			return nil, err
		}
		b, err := s.cfg.Bucket.ReadAll(ctx, info.Key)
		if err != nil {
			return nil, err
		}
		out[strings.TrimPrefix(info.Key, bucketSite)] = hashBytes(b)
	}
	return out, nil
}

// diffFiles lists what differs between the published files want and the
// files found, path → hash each.
func diffFiles(want, found map[string]string, where string) []TamperFinding {
	var out []TamperFinding
	for rel, sum := range found {
		old, ok := want[rel]
		switch {
		case !ok:
			out = append(out, TamperFinding{Path: rel, Change: TamperAdded, Where: where})
		case old != "" && old != sum:
			out = append(out, TamperFinding{Path: rel, Change: TamperChanged, Where: where})
		}
	}
	for rel := range want {
		if _, ok := found[rel]; !ok {
			out = append(out, TamperFinding{Path: rel, Change: TamperRemoved, Where: where})
		}
	}
	slices.SortFunc(out, func(a, b TamperFinding) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// RestoreTampered puts back the published version of the site: a full
// build makes a fresh directory of the current content (so nothing added,
// changed or removed by hand survives), and the bucket gets the files of
// the live build again where they differ. It returns the build.
func (s *Site) RestoreTampered(ctx context.Context, reason string) (*cms.Build, error) {
	ctx = s.scope(ctx)
	b, err := s.BuildNow(ctx, reason)
	if err != nil {
		return b, err
	}
	if s.mirror == nil {
		return b, nil
	}
	unlock, err := s.lock.Lock()
	if err != nil {
		return b, err
	}
	defer unlock()
	o := s.live.Load()
	if o == nil {
		return b, nil
	}
	want, err := s.mirror.published(ctx)
	if err != nil {
		return b, err
	}
	found, err := s.bucketFiles(ctx)
	if err != nil {
		return b, err
	}
	var put, del []string
	for _, f := range diffFiles(want, found, "bucket") {
		if f.Change == TamperAdded {
			del = append(del, f.Path)
		} else {
			put = append(put, f.Path)
		}
	}
	if err := s.mirror.upload(ctx, o.dir, put); err != nil {
		return b, err
	}
	for _, rel := range del {
		if err := s.cfg.Bucket.Delete(ctx, bucketSite+rel); err != nil {
			return b, err
		}
	}
	s.log.Info("bucket restored to the published site", "put", len(put), "deleted", len(del))
	return b, nil
}

// afterBuild checks the links of the build o that just went live and
// writes its manifest; neither failing fails the build, which is live
// already. touched, when not nil, are the only files the build changed
// in o (an incremental build); nil walks o. It returns the time each took.
func (s *Site) afterBuild(o *output, buildID int64, touched []string) (links, manifest time.Duration) {
	if o == nil {
		return 0, 0
	}
	// A full build is a new directory: the check reads every page of it.
	if rep, err := s.checkLinks(o.name, o.dir, false, touched); err != nil {
		s.log.Error("link check", "build", buildID, "err", err)
	} else {
		links = rep.Duration
	}
	t := time.Now()
	if err := s.writeManifest(o, buildID, touched); err != nil {
		s.log.Error("writing the build's manifest", "build", buildID, "err", err)
	}
	return links, time.Since(t)
}
