package cli_test

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/huimin/huimin/cms/cli/clitest"
)

// TestServe_Unprivileged runs the compiled binary the way production does:
// as a service user (nobody, when the tests run as root) that owns only its
// data directory, with no home directory. A new data directory must build
// its site, a story must go live, an upload must work, the files Huimin
// creates must carry the modes it means, and SIGTERM must stop it.
func TestServe_Unprivileged(t *testing.T) {
	t.Parallel()
	as := clitest.Unprivileged(t)
	bin := clitest.BuildBinary(t, clitest.ServiceDir(t, nil))
	data := filepath.Join(clitest.ServiceDir(t, as), "data")
	s := clitest.RunBinary(t, bin, as, "serve", "--addr", "127.0.0.1:0", "--data", data, "--demo=true")
	if as != nil {
		t.Logf("serving as %s (uid %d)", as.Name, as.UID)
	}
	if code, home := s.Get(t, "/"); code != http.StatusOK || !strings.Contains(home, "<html") {
		t.Fatalf("public home: %d %.200s", code, home)
	}
	token := s.Login(t, "admin", s.Password)
	p := s.Must(t, http.StatusCreated, "POST", "/api/v1/projects", token, map[string]any{
		"name": "婚姻登记颁证", "slug": "banzheng", "kind": "window", "area": "marriage", "summary": "颁证仪式",
	})
	code, up, _ := s.Upload(t, token, "photo.jpg", clitest.TestPhoto(t, 120))
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %v", code, up)
	}
	st := s.Must(t, http.StatusCreated, "POST", "/api/v1/stories", token, map[string]any{
		"title": "七夕颁证仪式见证幸福", "summary": "新人在颁证厅宣读誓言", "project_id": p["id"],
		"body": "<p>婚姻登记处为新人举办颁证仪式。</p>",
	})
	pub := s.Act(t, token, clitest.Num(st["id"]), "publish", nil, http.StatusOK)
	s.WaitBuilt(t, token, pub["build_id"])
	if code, page := s.Get(t, pub["url"].(string)); code != http.StatusOK || !strings.Contains(page, "七夕颁证仪式见证幸福") {
		t.Fatalf("published page: %d %.300s", code, page)
	}

	// The public tree is world-readable, nothing in it writable by others.
	builds := filepath.Join(data, "site", "builds")
	n := 0
	err := filepath.WalkDir(builds, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o644)
		if d.IsDir() {
			want = 0o755
		}
		if fi.Mode().Perm() != want && n < 5 {
			n++
			t.Errorf("%s: mode %o, want %o", p, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// An original keeps what the camera recorded: Huimin alone reads it.
	originals, _ := filepath.Glob(filepath.Join(data, "media", "*", "original"))
	if len(originals) == 0 {
		t.Fatal("no original stored")
	}
	for _, o := range originals {
		if fi, err := os.Stat(o); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want mode 600", o, modeOf(fi, err))
		}
	}
	// The database, its WAL and the key that seals its secrets are
	// Huimin's alone, in a data directory that is too.
	for _, f := range []string{"huimin.db", "huimin.db-wal", "huimin.db-shm", "secret.key"} {
		if fi, err := os.Stat(filepath.Join(data, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want mode 600", f, modeOf(fi, err))
		}
	}
	if fi, err := os.Stat(data); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory: %v, want mode 700", modeOf(fi, err))
	}
	s.Stop(t)
}

func modeOf(fi os.FileInfo, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("mode %o", fi.Mode().Perm())
}
