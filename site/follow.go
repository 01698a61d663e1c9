package site

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/huimin/huimin/cms/objstore"
)

// A replica that is not the builder serves the site the builder copied to
// the bucket: follow copies it into a local build directory and makes that
// live, the same atomic switch a build makes. Files the previous copy had
// with the same hash are linked, not fetched again, so following a
// one-story publish fetches a handful of objects.
//
// The builder copies new objects before it names the new manifest in
// live.json (bucket.go), so what follow reads may be newer than the
// manifest it follows, or gone already: each file's hash is checked against
// the manifest, and a mismatch abandons this copy. The next poll follows
// the newer manifest.

// followConcurrency is how many objects a follower fetches at once: GETs
// wait on the network and the object store, not on this process.
const followConcurrency = 32

// errFollowRace is a copy abandoned because the builder was changing the
// bucket's site meanwhile.
var errFollowRace = errors.New("the bucket's site changed while it was copied; trying again")

// follow makes the bucket's live site this replica's live site, if it is
// not already.
func (s *Site) follow(ctx context.Context) error {
	if s.mirror == nil {
		return nil // replicas on one data directory follow the current symlink (refresh)
	}
	var marker liveMarker
	if ok, err := readJSON(ctx, s.cfg.Bucket, bucketLive, &marker); err != nil || !ok {
		return err // !ok: nothing published yet
	}
	s.followMu.Lock()
	defer s.followMu.Unlock()
	if marker.Manifest == s.followed {
		return nil
	}
	mf := followDelta(marker, s.followed, s.followSums)
	listed := mf != nil // by live.json: the manifest is not read
	if mf == nil {
		var err error
		if mf, err = s.mirror.readManifest(ctx, marker.Manifest); err != nil {
			return err
		}
	}
	t := time.Now()
	if o := s.live.Load(); o != nil && o.name == s.followedName && s.followSums != nil {
		changed, gone := followDiff(s.followSums, mf.Files)
		if len(changed)+len(gone) <= len(mf.Files)/4 {
			err := s.updateFollowed(ctx, o.dir, mf.Files, changed, gone)
			if errors.Is(err, errFollowRace) {
				s.log.Info("site in the bucket changed during the copy; following again", "build", marker.Build)
				return nil
			} else if err != nil {
				return err
			}
			s.followed, s.followSums = marker.Manifest, mf.Files
			s.liveBuild.Store(marker.Build)
			s.log.Info("serving the site from the bucket", "build", marker.Build, "files", len(mf.Files),
				"fetched", len(changed), "removed", len(gone), "changes_listed", listed, "duration_ms", time.Since(t).Milliseconds())
			return nil
		}
	}
	name := fmt.Sprintf("r%d-%d", marker.Build, t.UnixNano())
	tmp := s.path("builds", "."+name)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	prevDir := ""
	if o := s.live.Load(); o != nil {
		prevDir = o.dir
	}
	fetched, err := s.copyFollowed(ctx, mf.Files, tmp, prevDir)
	if err != nil {
		os.RemoveAll(tmp)
		if errors.Is(err, errFollowRace) {
			s.log.Info("site in the bucket changed during the copy; following again", "build", marker.Build)
			return nil
		}
		return err
	}
	dir := s.path("builds", name)
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := s.publish(&output{name: name, dir: dir}); err != nil {
		s.log.Error("updating current symlink", "err", err)
	}
	s.followed, s.followSums, s.followedName = marker.Manifest, mf.Files, name
	s.liveBuild.Store(marker.Build)
	s.pruneBuilds()
	s.log.Info("serving the site from the bucket", "build", marker.Build, "files", len(mf.Files),
		"fetched", fetched, "duration_ms", time.Since(t).Milliseconds())
	return nil
}

// followDelta returns the manifest live.json names, made from the manifest
// followed (its files: sums) and the changes marker lists, when marker
// lists them against followed; nil when the manifest must be read.
func followDelta(marker liveMarker, followed string, sums map[string]string) *bucketManifest {
	if marker.Base == "" || marker.Base != followed || sums == nil {
		return nil
	}
	files := maps.Clone(sums)
	for _, rel := range marker.Gone {
		delete(files, rel)
	}
	maps.Copy(files, marker.Changed)
	if len(files) != marker.Files {
		return nil // not the manifest it says: read that
	}
	return &bucketManifest{Build: marker.Build, Files: files}
}

// followDiff returns the files of next that differ from prev and those of
// prev that next no longer has.
func followDiff(prev, next map[string]string) (changed, gone []string) {
	for rel, sum := range next {
		if prev[rel] != sum {
			changed = append(changed, rel)
		}
	}
	for rel := range prev {
		if _, ok := next[rel]; !ok {
			gone = append(gone, rel)
		}
	}
	return changed, gone
}

// updateFollowed brings the followed copy in dir up to the bucket's files
// in place, as an incremental build updates the builder's live directory:
// every changed file is fetched and checked first, then each replaces its
// old version by rename (assets, then pages deepest first, so a page never
// links to what is not there yet), and files that are gone are removed
// last. A reader gets a whole old or a whole new file.
func (s *Site) updateFollowed(ctx context.Context, dir string, files map[string]string, changed, gone []string) error {
	tmps := make([]string, len(changed))
	defer func() {
		for _, tmp := range tmps {
			if tmp != "" {
				os.Remove(tmp) // left only when the update stopped half-way
			}
		}
	}()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(followConcurrency)
	for i, rel := range changed {
		g.Go(func() error {
			data, err := s.fetchFollowed(gctx, rel, files[rel])
			if err != nil {
				return err
			}
			dst := filepath.Join(dir, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			tmp := filepath.Join(filepath.Dir(dst), fmt.Sprintf(".follow-%d-%s", i, filepath.Base(dst)))
			os.Remove(tmp)
			if err := writeNewFile(tmp, data); err != nil {
				return err
			}
			tmps[i] = tmp
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	order := make([]int, len(changed))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		pa, pb := isPage(changed[a]), isPage(changed[b])
		switch {
		case pa != pb && !pa:
			return -1
		case pa != pb:
			return 1
		}
		return strings.Count(changed[b], "/") - strings.Count(changed[a], "/")
	})
	for _, i := range order {
		if err := os.Rename(tmps[i], filepath.Join(dir, filepath.FromSlash(changed[i]))); err != nil {
			return err
		}
		tmps[i] = ""
	}
	for _, rel := range gone {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(rel))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// copyFollowed writes files (slash path → content hash) into dir: linked
// from prevDir when the previous copy had the same content, else fetched.
// It returns how many were fetched.
func (s *Site) copyFollowed(ctx context.Context, files map[string]string, dir, prevDir string) (int, error) {
	var fetch []string
	made := map[string]bool{}
	for rel, sum := range files {
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if parent := filepath.Dir(dst); !made[parent] {
			if err := os.MkdirAll(parent, 0o755); err != nil {
				return 0, err
			}
			made[parent] = true
		}
		if prevDir != "" && s.followSums[rel] == sum {
			if err := os.Link(filepath.Join(prevDir, filepath.FromSlash(rel)), dst); err == nil {
				continue
			}
		}
		fetch = append(fetch, rel)
	}
	return len(fetch), each(ctx, followConcurrency, fetch, func(ctx context.Context, rel string) error {
		data, err := s.fetchFollowed(ctx, rel, files[rel])
		if err != nil {
			return err
		}
		return writeNewFile(filepath.Join(dir, filepath.FromSlash(rel)), data)
	})
}

// fetchFollowed reads site file rel from the bucket and checks it has the
// content hash the followed manifest names; errFollowRace if it is gone or
// other (the builder is copying a newer build).
func (s *Site) fetchFollowed(ctx context.Context, rel, sum string) ([]byte, error) {
	data, err := s.cfg.Bucket.ReadAll(ctx, bucketSite+rel)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, errFollowRace
	} else if err != nil {
		return nil, err
	}
	if hashBytes(data) != sum {
		return nil, errFollowRace
	}
	return data, nil
}

func hashBytes(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}
