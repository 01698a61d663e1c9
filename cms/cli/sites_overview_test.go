package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestSites_CityOverview is issue 15's city overview end to end: a city
// site with overview on and two districts; a district publishes a story,
// the city's editor picks it as a highlight through the API; the city's
// home lists the sites and its 全市服务品牌 page links to the story on the
// district's own host; the district withdraws the story and the city's
// next build drops it; a district's highlight routes refuse, saying why.
func TestSites_CityOverview(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		s := clitest.MustRunServe(t, dsn, "--demo=false")
		runCLI(t, s, "", "site", "create", "--name", "无锡市民政局", "--slug", "city", "--host", "city.example.test", "--overview")
		runCLI(t, s, "", "site", "create", "--name", "江阴市民政局", "--slug", "jiangyin", "--host", "jy.example.test")
		runCLI(t, s, "", "site", "create", "--name", "宜兴市民政局", "--slug", "yixing", "--host", "yx.example.test")
		runCLI(t, s, "password-cityeditor\n", "user", "create", "--name", "cityeditor", "--role", "editor", "--in-site", "city", "--password-stdin")
		admin := s.Login(t, "admin", s.Password)
		jy := siteClient{t: t, s: s, token: admin, site: "jiangyin"}
		city := siteClient{t: t, s: s, token: s.Login(t, "cityeditor", "password-cityeditor"), site: "city"}

		var sites struct {
			Items []struct {
				ID   int64  `json:"id"`
				Slug string `json:"slug"`
			} `json:"items"`
		}
		_, out := jy.do("GET", "/api/v1/sites", nil)
		json.Unmarshal(out, &sites)
		var jyID int64
		for _, st := range sites.Items {
			if st.Slug == "jiangyin" {
				jyID = st.ID
			}
		}

		// The district publishes a story.
		set := jy.obj(200, "GET", "/api/v1/settings", nil)
		jy.obj(200, "PATCH", "/api/v1/settings", map[string]any{"version": set["version"], "review_stages": 1, "organizer": "江阴市民政局"})
		p := jy.obj(201, "POST", "/api/v1/projects", map[string]any{"name": "银龄互助", "slug": "yinling",
			"kind": "volunteer", "area": "elderly", "summary": "低龄帮高龄"})
		story := jy.obj(201, "POST", "/api/v1/stories", map[string]any{"title": "江阴银龄结对帮扶暖人心",
			"summary": "低龄老人结对帮扶高龄老人", "body": "<p>江阴的银龄互助。</p>", "project_id": p["id"]})
		id := clitest.Num(story["id"])
		jy.publish(id)
		story = jy.obj(200, "GET", fmt.Sprintf("/api/v1/stories/%d", id), nil)
		storyURL := "//jy.example.test/stories/" + story["slug"].(string) + "/"

		// The city's editor finds it and picks it.
		cands := city.obj(200, "GET", "/api/v1/highlights/candidates?q=银龄", nil)
		if fmt.Sprint(cands["total"]) != "1" || !bytes.Contains(mustJSON(t, cands), []byte(storyURL)) {
			t.Fatalf("candidates: %v", cands)
		}
		h := city.obj(201, "POST", "/api/v1/highlights", map[string]any{"site_id": jyID, "story_id": id})
		if st, _ := h["story"].(map[string]any); st == nil || st["url"] != storyURL {
			t.Errorf("highlight = %v, want its story at %s", h, storyURL)
		}

		get := func(host, path string) (int, []byte) {
			return siteClient{t: t, s: s, host: host}.do("GET", path, nil)
		}
		waitFor := func(what, host, path string, ok func(int, []byte) bool) (body []byte) {
			t.Helper()
			clitest.Poll(t, 90*time.Second, func() (bool, string) {
				var code int
				code, body = get(host, path)
				return ok(code, body), fmt.Sprintf("%s: %s%s still %d: %.300s", what, host, path, code, body)
			})
			return body
		}
		hl := waitFor("highlight live", "city.example.test", "/highlights/", func(code int, b []byte) bool {
			return code == 200 && bytes.Contains(b, []byte("江阴银龄结对帮扶暖人心"))
		})
		for _, want := range []string{`href="` + storyURL + `"`, "低龄老人结对帮扶高龄老人", "银龄互助", ">江阴市民政局</a></h2>"} {
			if !bytes.Contains(hl, []byte(want)) {
				t.Errorf("city /highlights/ lacks %q", want)
			}
		}
		// An incremental build replaces its pages one by one, highlights/
		// before the home page: wait for the home's count too.
		home := waitFor("home counts the highlight", "city.example.test", "/", func(code int, b []byte) bool {
			return code == 200 && bytes.Contains(b, []byte("全市服务品牌（1篇）"))
		})
		for _, want := range []string{"各区（县）民政局", `href="//jy.example.test/"`, "主办单位：江阴市民政局",
			`href="//yx.example.test/"`, "宜兴市民政局", "全市服务品牌（1篇）"} {
			if !bytes.Contains(home, []byte(want)) {
				t.Errorf("city home lacks %q", want)
			}
		}
		// The districts are as before (once the district's site is live).
		waitFor("district live", "jy.example.test", "/stories/"+story["slug"].(string)+"/", func(code int, _ []byte) bool { return code == 200 })
		_, jyHome := get("jy.example.test", "/")
		if bytes.Contains(jyHome, []byte("各区（县）民政局")) {
			t.Error("a district's home lists the sites")
		}
		if code, _ := get("jy.example.test", "/highlights/"); code != http.StatusNotFound {
			t.Errorf("a district's /highlights/: %d, want 404", code)
		}
		code, out := jy.do("GET", "/api/v1/highlights", nil)
		if code != http.StatusConflict || !bytes.Contains(out, []byte("全市概览")) {
			t.Errorf("highlights on a district: %d %s, want 409 naming 全市概览", code, out)
		}
		if code, _ := jy.do("POST", "/api/v1/highlights", map[string]any{"site_id": jyID, "story_id": id}); code != http.StatusConflict {
			t.Errorf("adding a highlight on a district: %d, want 409", code)
		}

		// The district withdraws the story: that queues the city's build,
		// which drops it.
		jy.obj(200, "POST", fmt.Sprintf("/api/v1/stories/%d/actions/unpublish", id), map[string]any{"comment": "撤稿"})
		waitFor("highlight gone", "city.example.test", "/highlights/", func(code int, b []byte) bool {
			return code == 200 && !bytes.Contains(b, []byte("江阴银龄结对帮扶暖人心")) && bytes.Contains(b, []byte("还没有选登"))
		})
		list := city.obj(200, "GET", "/api/v1/highlights", nil)
		if items, _ := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["story"] != nil {
			t.Errorf("highlights after the withdrawal: %v, want the one highlight without its story", list)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
