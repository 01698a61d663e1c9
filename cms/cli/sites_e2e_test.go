package cli_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestSites_ThreeSites is issue 15's first acceptance item: three sites on
// one installation each serve their own home, stories, search index,
// sitemap, feed and content API by host name, and a story published on
// one never appears on the others.
func TestSites_ThreeSites(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		s := clitest.MustRunServe(t, dsn, "--demo=false")
		runCLI(t, s, "", "site", "create", "--name", "江阴市民政局", "--slug", "jiangyin", "--host", "jy.example.test")
		runCLI(t, s, "", "site", "create", "--name", "宜兴市民政局", "--slug", "yixing", "--host", "yx.example.test")
		admin := s.Login(t, "admin", s.Password) // a platform admin: an admin in every site

		type site struct {
			ref, host, title, term, slug string
		}
		sites := []*site{
			{ref: "main", host: "127.0.0.1", title: "主站颁证仪式暖人心", term: "甲子独有"},
			{ref: "jiangyin", host: "jy.example.test", title: "江阴银龄互助结对", term: "乙丑独有"},
			{ref: "yixing", host: "yx.example.test", title: "宜兴殡葬惠民服务", term: "丙寅独有"},
		}
		for i, st := range sites {
			c := siteClient{t: t, s: s, token: admin, site: st.ref}
			set := c.obj(200, "GET", "/api/v1/settings", nil)
			c.obj(200, "PATCH", "/api/v1/settings", map[string]any{"version": set["version"], "review_stages": 1,
				"site_name": st.title[:6] + "民政"})
			p := c.obj(201, "POST", "/api/v1/projects", map[string]any{"name": "服务品牌", "slug": "pinpai",
				"kind": "window", "area": "marriage", "summary": "同一个项目代号"})
			story := c.obj(201, "POST", "/api/v1/stories", map[string]any{"title": st.title, "summary": "摘要",
				"body": "<p>正文 " + st.term + "</p>", "project_id": p["id"], "tags": []string{fmt.Sprintf("标签%d", i)}})
			st.slug = story["slug"].(string)
			c.publish(clitest.Num(story["id"]))
		}
		get := func(host, path string) (int, []byte) {
			pub := siteClient{t: t, s: s}
			if host != "127.0.0.1" {
				pub.host = host
			}
			return pub.do("GET", path, nil)
		}
		// Each site's story goes live on its own host.
		for _, st := range sites {
			clitest.Poll(t, 90*time.Second, func() (bool, string) {
				code, _ := get(st.host, "/stories/"+st.slug+"/")
				return code == http.StatusOK, fmt.Sprintf("%s: /stories/%s/ still %d", st.ref, st.slug, code)
			})
		}
		for _, st := range sites {
			pages := map[string]string{
				"home":    "/",
				"story":   "/stories/" + st.slug + "/",
				"project": "/projects/pinpai/",
				"sitemap": "/sitemap-stories-0.xml", // story ids below 1,000 (sitemap.xml is the index)
				"feed":    "/index.xml",
				"search":  "/search/i/d/0.json",
				"api":     "/api/v1/content/stories",
				"api-q":   "/api/v1/content/stories?q=" + st.term,
			}
			for what, path := range pages {
				code, body := get(st.host, path)
				if code != http.StatusOK {
					t.Errorf("%s %s (%s): %d", st.ref, what, path, code)
					continue
				}
				if what != "sitemap" && !bytes.Contains(body, []byte(st.title)) {
					t.Errorf("%s %s (%s) lacks its own story %q", st.ref, what, path, st.title)
				}
				if what == "sitemap" && !bytes.Contains(body, []byte("/stories/"+st.slug+"/")) {
					t.Errorf("%s sitemap lacks its own story", st.ref)
				}
				for _, other := range sites {
					if other == st {
						continue
					}
					if bytes.Contains(body, []byte(other.title)) || bytes.Contains(body, []byte(other.term)) ||
						(other.slug != st.slug && bytes.Contains(body, []byte("/stories/"+other.slug+"/"))) {
						t.Errorf("%s %s (%s) shows %s's story", st.ref, what, path, other.ref)
					}
				}
			}
			for _, other := range sites {
				if other == st || other.slug == st.slug {
					continue
				}
				if code, _ := get(st.host, "/stories/"+other.slug+"/"); code != http.StatusNotFound {
					t.Errorf("%s serves %s's story page: %d", st.ref, other.ref, code)
				}
				if code, _ := get(st.host, "/api/v1/content/stories/"+other.slug); code != http.StatusNotFound {
					t.Errorf("%s's content API serves %s's story: %d", st.ref, other.ref, code)
				}
			}
			if code, body := get(st.host, "/search/i/meta.json"); code != 200 || !strings.Contains(string(body), `"docs":1`) {
				t.Errorf("%s search index meta: %d %s", st.ref, code, body)
			}
		}
	})
}
