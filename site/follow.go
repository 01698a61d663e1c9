package site

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"os"
	"path/filepath"
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
	data, err := s.cfg.Bucket.ReadAll(ctx, bucketLive)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil // nothing published yet
	} else if err != nil {
		return err
	}
	var marker liveMarker
	if err := json.Unmarshal(data, &marker); err != nil {
		return fmt.Errorf("%s: %w", bucketLive, err)
	}
	s.followMu.Lock()
	defer s.followMu.Unlock()
	if marker.Manifest == s.followed {
		return nil
	}
	mf, err := s.mirror.readManifest(ctx, marker.Manifest)
	if err != nil {
		return err
	}
	t := time.Now()
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
	s.followed, s.followSums = marker.Manifest, mf.Files
	s.pruneBuilds()
	s.log.Info("serving the site from the bucket", "build", marker.Build, "files", len(mf.Files),
		"fetched", fetched, "duration_ms", time.Since(t).Milliseconds())
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
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(followConcurrency)
	for _, rel := range fetch {
		g.Go(func() error {
			data, err := s.cfg.Bucket.ReadAll(gctx, bucketSite+rel)
			if errors.Is(err, objstore.ErrNotFound) {
				return errFollowRace
			} else if err != nil {
				return err
			}
			if hashBytes(data) != files[rel] {
				return errFollowRace
			}
			return writeNewFile(filepath.Join(dir, filepath.FromSlash(rel)), data)
		})
	}
	return len(fetch), g.Wait()
}

func hashBytes(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

func writeNewFile(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
