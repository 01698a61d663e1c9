package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/objstore"
	"github.com/huimin/huimin/cms/objstore/objstoretest"
)

// TestSites_Media: each site keeps its own media. The same picture
// uploaded on two sites is two items with two sets of files; a site's
// /media/ URLs answer on its own host only (404 on the other's); a crop
// or a deletion on one site leaves the other's files alone. In the data
// directory, and with HUIMIN_TEST_S3_ENDPOINT in the bucket, site N's files
// are below sites/<slug>/. X-Forwarded-Host picks the site only from the
// trusted proxy (127.0.0.2 here; the other requests come from 127.0.0.1).
func TestSites_Media(t *testing.T) {
	t.Parallel()
	t.Run("data directory", func(t *testing.T) {
		t.Parallel()
		data := t.TempDir()
		args := []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--db", "", "--demo=false", "--trusted-proxies", "127.0.0.2"}
		s := clitest.MustRun(t, data, "", args)
		m := sitesMedia(t, s)

		// In the data directory: the default site's files where they
		// always were, jiangyin's below sites/jiangyin/media.
		dir := func(parts ...string) []string { return dirNames(t, filepath.Join(append([]string{data}, parts...)...)) }
		if got, want := dir("media"), sorted(m.both, m.mainOnly); !slices.Equal(got, want) {
			t.Errorf("data/media holds %q, want %q", got, want)
		}
		if got := dir("sites", "jiangyin", "media"); !slices.Equal(got, []string{m.jyOnly}) {
			t.Errorf("data/sites/jiangyin/media holds %q, want only %s", got, m.jyOnly)
		}
		if got := dir("sites", "jiangyin", "media", m.jyOnly); !slices.Contains(got, "original") || !slices.Contains(got, "w480.jpg") {
			t.Errorf("jiangyin's picture: %q", got)
		}

		// A site made by the release before per-site media has its files
		// at the shared root: the next start copies them to the site.
		s.Stop(t)
		from, to := filepath.Join(data, "sites", "jiangyin", "media", m.jyOnly), filepath.Join(data, "media", m.jyOnly)
		if err := os.Rename(from, to); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(data, "media-per-site.done")); err != nil {
			t.Fatal(err)
		}
		s = clitest.MustRun(t, data, "", args)
		jy := publicClient{s: s, host: "jy.example.test"}
		if code, _ := jy.get(m.jyURL, ""); code != http.StatusOK {
			t.Errorf("jiangyin's picture after the move: %d", code)
		}
		if code, _ := (publicClient{s: s}).get(m.jyURL, ""); code != http.StatusNotFound {
			t.Errorf("the default site serves jiangyin's moved picture: %d", code)
		}
		if got := dir("media"); slices.Contains(got, m.jyOnly) {
			t.Errorf("jiangyin's picture is still at the shared root: %q", got)
		}
		if got := dir("sites", "jiangyin", "media", m.jyOnly); !slices.Contains(got, "original") || !slices.Contains(got, "w480.jpg") {
			t.Errorf("jiangyin's moved picture: %q", got)
		}
	})
	t.Run("bucket", func(t *testing.T) {
		t.Parallel()
		u := objstoretest.URL(t)
		bucket, err := objstore.Open(context.Background(), u, os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		s := clitest.MustRunServe(t, "", "--demo=false", "--trusted-proxies", "127.0.0.2", "--storage", u)
		m := sitesMedia(t, s)
		keys := func(prefix string) []string {
			var out []string
			for _, k := range objstoretest.Keys(t, bucket, prefix) {
				h, _, _ := strings.Cut(strings.TrimPrefix(k, prefix), "/")
				if len(out) == 0 || out[len(out)-1] != h {
					out = append(out, h)
				}
			}
			return out
		}
		for prefix, want := range map[string][]string{
			"media/":                        sorted(m.both, m.mainOnly),
			"private/media/":                sorted(m.both, m.mainOnly),
			"sites/jiangyin/media/":         {m.jyOnly},
			"sites/jiangyin/private/media/": {m.jyOnly},
		} {
			if got := keys(prefix); !slices.Equal(got, want) {
				t.Errorf("pictures below %s: %q, want %q", prefix, got, want)
			}
		}
		if got := objstoretest.Keys(t, bucket, "sites/jiangyin/media/"+m.jyOnly+"/"); !slices.Contains(got, "sites/jiangyin/media/"+m.jyOnly+"/w480.jpg") {
			t.Errorf("jiangyin's variants: %q", got)
		}
	})
}

// siteMediaResult names the pictures sitesMedia leaves: one both sites
// had (jiangyin's item of it is deleted), one only the default site has,
// one only jiangyin has, and a URL of the last.
type siteMediaResult struct {
	both, mainOnly, jyOnly string
	jyURL                  string
}

// sitesMedia is TestSites_Media's part common to both storages.
func sitesMedia(t *testing.T, s *clitest.Server) siteMediaResult {
	t.Helper()
	runCLI(t, s, "", "site", "create", "--name", "江阴市民政局", "--slug", "jiangyin", "--host", "jy.example.test")
	admin := s.Login(t, "admin", s.Password)
	main := siteClient{t: t, s: s, token: admin, site: "main"}
	jyAdmin := siteClient{t: t, s: s, token: admin, site: "jiangyin"}

	same := clitest.TestPhoto(t, 30)
	p1, p2 := main.upload("same.jpg", same), jyAdmin.upload("same.jpg", same)
	if p1["hash"] != p2["hash"] || p1["id"] == p2["id"] {
		t.Fatalf("the same picture on two sites: %v and %v, want two items of one hash", p1["id"], p2["id"])
	}
	mainOnly, jyOnly := main.upload("main.jpg", clitest.TestPhoto(t, 120)), jyAdmin.upload("jy.jpg", clitest.TestPhoto(t, 200))
	url := func(m map[string]any, name string) string {
		for _, v := range m["variants"].([]any) {
			if v := v.(map[string]any); v["name"] == name {
				return v["url"].(string)
			}
		}
		t.Fatalf("no variant %s in %v", name, m)
		return ""
	}
	// The default site keeps the URLs it always had.
	if got, want := url(p1, "w480"), fmt.Sprintf("/media/%s/w480.jpg?v=1", p1["hash"]); got != want {
		t.Errorf("the default site's URL %s, want %s", got, want)
	}

	mainHost, jyHost := publicClient{s: s}, publicClient{s: s, host: "jy.example.test"}
	for _, c := range []struct {
		who      string
		c        publicClient
		url      string
		want     int
		wantBody []byte
	}{
		{"the default site's copy of the shared picture, on its host", mainHost, url(p1, "w480"), 200, nil},
		{"jiangyin's copy, on jiangyin's host", jyHost, url(p2, "w480"), 200, nil},
		{"the default site's own picture, on its host", mainHost, url(mainOnly, "cover11"), 200, nil},
		{"jiangyin's own picture, on its host", jyHost, url(jyOnly, "cover11"), 200, nil},
		{"the default site's own picture, on jiangyin's host", jyHost, url(mainOnly, "cover11"), 404, nil},
		{"jiangyin's own picture, on the default site's host", mainHost, url(jyOnly, "cover11"), 404, nil},
	} {
		if code, _ := c.c.get(c.url, ""); code != c.want {
			t.Errorf("%s (%s): %d, want %d", c.who, c.url, code, c.want)
		}
	}

	// X-Forwarded-Host counts from the trusted proxy only.
	proxy := publicClient{s: s, from: "127.0.0.2"}
	if code, _ := proxy.get(url(jyOnly, "w480"), "jy.example.test"); code != 200 {
		t.Errorf("the trusted proxy forwarding jiangyin's host: %d, want 200", code)
	}
	if code, _ := proxy.get(url(mainOnly, "w480"), "jy.example.test"); code != 404 {
		t.Errorf("the trusted proxy forwarding jiangyin's host, the default site's picture: %d, want 404", code)
	}
	if code, _ := mainHost.get(url(jyOnly, "w480"), "jy.example.test"); code != 404 {
		t.Errorf("an untrusted client's X-Forwarded-Host was believed: %d, want 404", code)
	}
	if code, body := proxy.get("/api/v1/content/stories", "jy.example.test"); code != 200 || !strings.Contains(string(body), `"items"`) {
		t.Errorf("content API through the trusted proxy: %d %s", code, body)
	}

	// A new focal point on jiangyin re-renders jiangyin's crop only.
	_, before := mainHost.get(url(p1, "cover11"), "")
	_, jyBefore := jyHost.get(url(p2, "cover11"), "")
	p2 = jyAdmin.obj(200, "PATCH", fmt.Sprintf("/api/v1/media/%d", clitest.Num(p2["id"])),
		map[string]any{"version": p2["version"], "focus_x": 0.95, "focus_y": 0.95})
	if _, after := jyHost.get(url(p2, "cover11"), ""); bytes.Equal(after, jyBefore) {
		t.Error("jiangyin's crop did not follow its focal point")
	}
	if _, after := mainHost.get(url(p1, "cover11"), ""); !bytes.Equal(after, before) {
		t.Error("the default site's crop changed with jiangyin's focal point")
	}

	// Deleting jiangyin's item removes its files; the default site's stay.
	if code, body := jyAdmin.do("DELETE", fmt.Sprintf("/api/v1/media/%d", clitest.Num(p2["id"])), nil); code != http.StatusNoContent {
		t.Fatalf("delete jiangyin's item: %d %s", code, body)
	}
	if code, _ := jyHost.get(url(p2, "w480"), ""); code != 404 {
		t.Errorf("jiangyin's deleted picture: %d, want 404", code)
	}
	if code, _ := mainHost.get(url(p1, "w480"), ""); code != 200 {
		t.Errorf("the default site's copy after jiangyin deleted its own: %d, want 200", code)
	}
	return siteMediaResult{both: p1["hash"].(string), mainOnly: mainOnly["hash"].(string), jyOnly: jyOnly["hash"].(string),
		jyURL: url(jyOnly, "w480")}
}

// publicClient reads public URLs as a reader on host ("" for the server's
// address), from a local address of its own when from is set.
type publicClient struct {
	s    *clitest.Server
	host string
	from string
}

func (c publicClient) get(path, forwardedHost string) (int, []byte) {
	req, err := http.NewRequest("GET", c.s.URL+path, nil)
	if err != nil {
		panic(err)
	}
	if c.host != "" {
		req.Host = c.host
	}
	if forwardedHost != "" {
		req.Header.Set("X-Forwarded-Host", forwardedHost)
	}
	client := http.DefaultClient
	if c.from != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(c.from)}}
		client = &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
