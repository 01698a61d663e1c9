package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
	"github.com/huimin/huimin/cms/web"
)

// TestContentAPI_OnlyPublished is acceptance 1: drafts, stories in review,
// approved and scheduled ones, unpublished ones and pending revisions of
// live ones never appear in any content API answer.
func TestContentAPI_OnlyPublished(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := newAPIServer(t, db, nil)
		pid := s.project("婚姻登记颁证", "banzheng", cms.KindWindow, "marriage")
		secret := func(state string) map[string]any {
			return map[string]any{"title": "机密" + state + "养老婚姻志愿", "summary": "机密摘要", "body": "<p>机密正文 养老 婚姻 志愿</p>",
				"project_id": pid, "tags": []string{"机密标签", "颁证"}}
		}
		_, draft := s.story(secret("草稿"))
		inReview, inReviewSlug := s.story(secret("审核中"))
		s.act(inReview, "submit")
		approved, approvedSlug := s.story(secret("已通过"))
		s.act(approved, "submit")
		for range 3 {
			s.act(approved, "approve")
		}
		future := secret("待发布")
		future["publish_at"] = time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
		scheduled, scheduledSlug := s.story(future)
		if st := s.act(scheduled, "publish"); st["status"] != "scheduled" {
			t.Fatalf("scheduled story is %v", st["status"])
		}
		gone, goneSlug := s.published(secret("已撤下"))
		s.act(gone, "unpublish")

		_, liveSlug := s.published(map[string]any{"title": "七夕集体颁证仪式", "summary": "婚姻登记处", "body": "<p>婚姻 养老 志愿</p>",
			"project_id": pid, "tags": []string{"颁证"}, "published_at": "2026-08-10T02:00:00Z"})
		pending, pendingSlug := s.published(map[string]any{"title": "线上标题", "body": "<p>线上正文</p>", "project_id": pid,
			"tags": []string{"颁证"}, "published_at": "2026-08-11T02:00:00Z"})
		s.do("PATCH", fmt.Sprintf("/api/v1/stories/%d", pending), s.admin, map[string]any{"version": 1,
			"title": "机密待审修改", "body": "<p>机密 养老 婚姻 志愿</p>", "tags": []string{"机密标签"}}, nil).want(http.StatusOK)
		s.act(pending, "submit")

		leaks := []string{"机密"}
		for _, slug := range []string{draft, inReviewSlug, approvedSlug, scheduledSlug, goneSlug} {
			for _, q := range []string{"", "?fields=id,title"} {
				if r := s.get("/api/v1/content/stories/" + slug + q); r.status != http.StatusNotFound {
					t.Errorf("%s: %d %.200s, want 404", slug, r.status, r.body)
				}
			}
		}
		paths := []string{
			"/api/v1/content/stories/" + liveSlug, "/api/v1/content/stories/" + pendingSlug,
			"/api/v1/content/projects", "/api/v1/content/projects/banzheng", "/api/v1/content/tags",
			"/api/v1/content/pages", "/api/v1/content/site",
		}
		for _, q := range []string{"", "q=机密", "q=养老", "q=婚姻", "q=志愿", "tag=颁证", "tag=机密标签", "project=banzheng",
			"kind=window", "area=marriage", "since=2020-01-01", "until=2100-01-01", "per_page=1", "per_page=1&page=2",
			"fields=title,summary,body,tags", "per_page=100"} {
			paths = append(paths, "/api/v1/content/stories?"+q)
		}
		var seen []string
		for _, p := range paths {
			r := s.get(p).want(http.StatusOK)
			if w := contains(r.body, leaks...); w != "" {
				t.Errorf("%s leaks %q: %.300s", p, w, r.body)
			}
			if strings.HasPrefix(p, "/api/v1/content/stories?") {
				for _, it := range r.items() {
					if slug, ok := it["slug"].(string); ok && !slices.Contains(seen, slug) {
						seen = append(seen, slug)
					}
				}
			}
		}
		slices.Sort(seen)
		want := []string{liveSlug, pendingSlug}
		slices.Sort(want)
		if !slices.Equal(seen, want) {
			t.Errorf("stories seen %v, want only %v", seen, want)
		}
		// Following the cursor never reaches anything else either.
		r := s.get("/api/v1/content/stories?per_page=1").want(http.StatusOK)
		for n := 0; r.json()["next_cursor"] != nil; n++ {
			r = s.get("/api/v1/content/stories?per_page=1&cursor=" + r.json()["next_cursor"].(string)).want(http.StatusOK)
			if w := contains(r.body, leaks...); w != "" || n > 3 {
				t.Fatalf("cursor page %d: leak %q or endless: %s", n, w, r.body)
			}
		}
		if live := s.get("/api/v1/content/stories/" + pendingSlug).json(); live["title"] != "线上标题" {
			t.Errorf("pending story shows %v, want the live title", live["title"])
		}
		// The tag of the pending edit is not counted.
		for _, tag := range s.get("/api/v1/content/tags").items() {
			if tag["name"] == "颁证" && tag["count"].(float64) != 2 {
				t.Errorf("颁证 counts %v, want 2", tag["count"])
			}
		}
	})
}

// TestContentAPI_Stories covers filters, ordering, paging, fields and images.
func TestContentAPI_Stories(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := newAPIServer(t, db, nil)
		marriage := s.project("婚姻登记颁证", "banzheng", cms.KindWindow, "marriage")
		elderly := s.project("银龄互助", "yinling", cms.KindVolunteer, "elderly")
		cover, _, err := db.CreateMedia(context.Background(), &cms.Media{Hash: "c0ffee", Filename: "张三家.jpg", Format: "jpeg",
			Width: 4000, Height: 3000, Alt: "新人宣誓", Variants: []cms.MediaVariant{
				{Name: "w480", Width: 480, Height: 360, URL: "/media/c0ffee/w480.jpg?v=1"},
				{Name: "share", Width: 500, Height: 500, URL: "/media/c0ffee/share.jpg?v=1"}}})
		if err != nil {
			t.Fatal(err)
		}
		type st struct {
			id   int64
			slug string
		}
		var all []st
		for i := range 7 {
			pid := marriage
			if i%2 == 1 {
				pid = elderly
			}
			id, slug := s.published(map[string]any{
				"title": fmt.Sprintf("第%d期活动", i), "project_id": pid, "tags": []string{"活动", "第" + strconv.Itoa(i%3) + "组"},
				"published_at":   time.Date(2026, 5, 1+i/2, 8, 0, 0, 0, time.UTC).Format(time.RFC3339), // ties in pairs
				"cover_media_id": cover.ID,
				"body":           `<p>正文</p><img src="/media/c0ffee/w480.jpg" alt="新人宣誓" data-media-id="` + strconv.FormatInt(cover.ID, 10) + `">`,
			})
			all = append([]st{{id, slug}}, all...)
		}

		r := s.get("/api/v1/content/stories?per_page=3").want(http.StatusOK)
		page1 := r.items()
		if n := r.json()["total"].(float64); n != 7 || len(page1) != 3 || r.json()["page"].(float64) != 1 {
			t.Fatalf("page 1: total %v, %d items", n, len(page1))
		}
		// Newest first; equal times by id, highest first.
		for i := 1; i < len(page1); i++ {
			a, b := page1[i-1], page1[i]
			if a["published_at"].(string) < b["published_at"].(string) ||
				(a["published_at"] == b["published_at"] && a["id"].(float64) < b["id"].(float64)) {
				t.Errorf("order: %v/%v before %v/%v", a["published_at"], a["id"], b["published_at"], b["id"])
			}
		}
		one := page1[0]
		for _, k := range []string{"id", "slug", "title", "share_title", "summary", "body", "cover", "images", "project",
			"tags", "author", "source", "version", "published_at", "updated_at", "url", "short_url"} {
			if _, ok := one[k]; !ok {
				t.Errorf("story lacks %q", k)
			}
		}
		c := one["cover"].(map[string]any)
		if c["alt"] != "新人宣誓" || len(c["variants"].([]any)) != 2 || c["variants"].([]any)[0].(map[string]any)["width"].(float64) != 480 {
			t.Errorf("cover %v", c)
		}
		if contains(r.body, "张三家", "c0ffee\",\"filename") != "" || c["filename"] != nil || c["hash"] != nil {
			t.Errorf("cover shows staff-only fields: %v", c)
		}
		if imgs := one["images"].([]any); len(imgs) != 1 || imgs[0].(map[string]any)["variants"] == nil {
			t.Errorf("images %v", imgs)
		}

		// Page numbers and cursors walk the same order.
		var byPage, byCursor []float64
		for p := 1; p <= 3; p++ {
			for _, it := range s.get(fmt.Sprintf("/api/v1/content/stories?per_page=3&page=%d&fields=id", p)).want(200).items() {
				byPage = append(byPage, it["id"].(float64))
			}
		}
		next := ""
		for range 5 {
			u := "/api/v1/content/stories?per_page=3&fields=id"
			if next != "" {
				u += "&cursor=" + next
			}
			r := s.get(u).want(200)
			for _, it := range r.items() {
				byCursor = append(byCursor, it["id"].(float64))
			}
			n, _ := r.json()["next_cursor"].(string)
			if n == "" {
				break
			}
			next = n
		}
		if len(byPage) != 7 || !slices.Equal(byPage, byCursor) {
			t.Errorf("by page %v, by cursor %v", byPage, byCursor)
		}

		// fields= returns exactly the named fields.
		r = s.get("/api/v1/content/stories?fields=id,title,cover&per_page=1").want(200)
		if it := r.items()[0]; len(it) != 3 || it["title"] == nil {
			t.Errorf("fields=id,title,cover gave %v", it)
		}
		if it := s.get("/api/v1/content/stories/" + all[0].slug + "?fields=slug").want(200).json(); len(it) != 1 {
			t.Errorf("story fields=slug gave %v", it)
		}

		for q, want := range map[string]int{
			"project=yinling": 3, "kind=window": 4, "area=elderly": 3, "tag=第0组": 3,
			"since=2026-05-02": 5, "until=2026-05-02": 2, "since=2026-05-02&until=2026-05-03": 2,
			"project=yinling&tag=第1组": 1, "q=第3期": 1, "project=nope": 0,
		} {
			r := s.get("/api/v1/content/stories?fields=id&" + q).want(200)
			if n := int(r.json()["total"].(float64)); n != want || len(r.items()) != want {
				t.Errorf("%s: total %d, %d items, want %d", q, n, len(r.items()), want)
			}
		}
		for q, field := range map[string]string{
			"kind=big": "kind", "area=moon": "area", "page=0": "page", "per_page=500": "per_page", "since=昨天": "since",
			"cursor=!!": "cursor", "cursor=" + url.QueryEscape(next) + "&page=2": "cursor", "fields=id,passwd": "fields",
			"q=" + strings.Repeat("字", 101): "q",
		} {
			r := s.get("/api/v1/content/stories?" + q).want(http.StatusUnprocessableEntity)
			if errFields(r)[field] == nil {
				t.Errorf("%s: %s does not name %q", q, r.body, field)
			}
		}
	})
}

// TestContentAPI_Caching is acceptance 3 and the in-memory serving: a
// repeated read costs no query, If-None-Match gives 304, and a publish
// changes both the ETag and the content version.
func TestContentAPI_Caching(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := newAPIServer(t, db, nil)
		pid := s.project("银龄互助", "yinling", cms.KindVolunteer, "elderly")
		_, slug := s.published(map[string]any{"title": "助餐点开张", "project_id": pid, "body": strings.Repeat("<p>老年助餐</p>", 200)})

		list := "/api/v1/content/stories?project=yinling&per_page=20"
		first := s.get(list).want(http.StatusOK)
		etag, version := first.header.Get("ETag"), first.header.Get("X-Content-Version")
		if !strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, "W/") || version == "" {
			t.Fatalf("ETag %q, version %q: want a strong tag and a version", etag, version)
		}
		if cc := first.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
			t.Errorf("Cache-Control %q", cc)
		}
		before := s.content.queries.Load()
		for _, u := range []string{list, "/api/v1/content/stories?per_page=20&project=yinling"} { // same request, other spelling
			again := s.get(u).want(http.StatusOK)
			if again.header.Get("ETag") != etag || string(again.body) != string(first.body) {
				t.Errorf("%s: a repeated read changed", u)
			}
		}
		if n := s.content.queries.Load() - before; n != 0 {
			t.Errorf("repeated reads made %d queries, want 0 (served from memory)", n)
		}
		s.get("/api/v1/content/stories/" + slug).want(200)
		before = s.content.queries.Load()
		s.get("/api/v1/content/stories/" + slug).want(200)
		s.get("/api/v1/content/stories/no-such-story").want(404)
		s.get("/api/v1/content/stories/no-such-story").want(404)
		if n := s.content.queries.Load() - before; n != 1 {
			t.Errorf("slug reads made %d queries, want 1 (the first miss)", n)
		}

		nm := s.do("GET", list, "", nil, map[string]string{"If-None-Match": etag})
		if nm.status != http.StatusNotModified || len(nm.body) != 0 || nm.header.Get("ETag") != etag {
			t.Errorf("If-None-Match: %d %q etag %q, want 304", nm.status, nm.body, nm.header.Get("ETag"))
		}
		if r := s.do("GET", list, "", nil, map[string]string{"If-None-Match": `W/` + etag + `, "x"`}); r.status != http.StatusNotModified {
			t.Errorf("weak/list If-None-Match: %d", r.status)
		}
		// gzip is a representation of its own, with its own strong tag.
		req, _ := http.NewRequest("GET", s.url+list, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("ETag") == etag || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("gzip: encoding %q etag %q vary %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("ETag"), resp.Header.Get("Vary"))
		}
		if r := s.do("GET", list, "", nil, map[string]string{"If-None-Match": resp.Header.Get("ETag")}); r.status != http.StatusNotModified {
			t.Errorf("If-None-Match with the gzip tag: %d", r.status)
		}

		// A publish: same request, new answer, new tag, new version.
		s.published(map[string]any{"title": "新的助餐点", "project_id": pid})
		after := s.do("GET", list, "", nil, map[string]string{"If-None-Match": etag}).want(http.StatusOK)
		if after.header.Get("ETag") == etag || after.header.Get("X-Content-Version") == version {
			t.Errorf("after publish: etag %q version %q unchanged", after.header.Get("ETag"), after.header.Get("X-Content-Version"))
		}
		if len(after.items()) != 2 {
			t.Errorf("after publish: %d items, want 2", len(after.items()))
		}
		// An unrelated answer keeps its tag: the tag is the bytes'.
		if r := s.do("GET", "/api/v1/content/site", "", nil, nil); r.header.Get("ETag") == "" {
			t.Errorf("site: no ETag")
		}
		// HEAD answers like GET, without a body.
		if r := s.do("HEAD", list, "", nil, nil); r.status != http.StatusOK || len(r.body) != 0 || r.header.Get("ETag") != after.header.Get("ETag") {
			t.Errorf("HEAD: %d %d bytes etag %q", r.status, len(r.body), r.header.Get("ETag"))
		}
	})
}

// TestContentAPI_Search is acceptance 2 through HTTP (the store test runs
// the same queries on both databases).
func TestContentAPI_Search(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := newAPIServer(t, db, nil)
		pid := s.project("综合", "zonghe", cms.KindBenefit, "community")
		_, elderly := s.published(map[string]any{"title": "社区养老服务中心揭牌", "project_id": pid})
		_, marriage := s.published(map[string]any{"title": "颁证仪式", "body": "<p>婚姻登记处</p>", "project_id": pid})
		_, volunteer := s.published(map[string]any{"title": "服务队成立", "project_id": pid, "tags": []string{"志愿服务"}})
		for q, want := range map[string]string{"养老": elderly, "婚姻": marriage, "志愿": volunteer} {
			items := s.get("/api/v1/content/stories?fields=slug&q=" + url.QueryEscape(q)).want(200).items()
			if len(items) != 1 || items[0]["slug"] != want {
				t.Errorf("q=%s: %v, want %s", q, items, want)
			}
		}
	})
}

// TestContentAPI_Keys is acceptance 5: a key over its limit gets 429 with
// Retry-After, a revoked key 401; anonymous reads are limited per address.
func TestContentAPI_Keys(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := newAPIServer(t, db, func(c *web.Config) {
			c.ContentRate, c.ContentBurst = 1, 3
			c.TrustedProxies = []string{"127.0.0.1"} // readers' addresses come from X-Forwarded-For
		})
		ctx := context.Background()
		if err := db.CreateUser(ctx, &cms.User{Username: "editor", Role: cms.RoleEditor}, "editor-password"); err != nil {
			t.Fatal(err)
		}
		editor := s.login("editor", "editor-password")
		s.do("POST", "/api/v1/apikeys", editor, map[string]any{"name": "门户"}, nil).want(http.StatusForbidden)
		s.do("GET", "/api/v1/apikeys", editor, nil, nil).want(http.StatusForbidden)
		s.do("POST", "/api/v1/apikeys", s.admin, map[string]any{"name": ""}, nil).want(http.StatusUnprocessableEntity)

		created := s.do("POST", "/api/v1/apikeys", s.admin, map[string]any{"name": "市政务服务网", "rate_limit": 3}, nil).
			want(http.StatusCreated).json()
		key, id := created["key"].(string), int64(created["id"].(float64))
		withKey := map[string]string{"X-API-Key": key}
		for range 3 {
			s.do("GET", "/api/v1/content/site", "", nil, withKey).want(http.StatusOK)
		}
		over := s.do("GET", "/api/v1/content/stories", "", nil, withKey).want(http.StatusTooManyRequests)
		if ra, err := strconv.Atoi(over.header.Get("Retry-After")); err != nil || ra < 1 {
			t.Errorf("429 without a Retry-After in seconds: %q", over.header.Get("Retry-After"))
		}
		if code := errCode(over); code != cms.ERATELIMIT {
			t.Errorf("429 code %v", code)
		}
		list := s.do("GET", "/api/v1/apikeys", s.admin, nil, nil).want(http.StatusOK)
		if contains(list.body, key) != "" || len(list.items()) != 1 {
			t.Errorf("key list shows the secret or the wrong keys: %s", list.body)
		}

		s.do("DELETE", fmt.Sprintf("/api/v1/apikeys/%d", id), s.admin, nil, nil).want(http.StatusNoContent)
		s.do("GET", "/api/v1/content/site", "", nil, withKey).want(http.StatusUnauthorized)
		s.do("GET", "/api/v1/content/site", "", nil, map[string]string{"X-API-Key": "hm_unknown"}).want(http.StatusUnauthorized)
		s.do("DELETE", "/api/v1/apikeys/999", s.admin, nil, nil).want(http.StatusNotFound)

		// Anonymous: a burst of 3, then one a second, per reader address;
		// this machine itself is not limited.
		reader := map[string]string{"X-Forwarded-For": "203.0.113.9"}
		codes := []int{}
		for range 4 {
			codes = append(codes, s.do("GET", "/api/v1/content/tags", "", nil, reader).status)
		}
		if !slices.Equal(codes, []int{200, 200, 200, 429}) {
			t.Errorf("anonymous burst: %v, want 3×200 then 429", codes)
		}
		s.do("GET", "/api/v1/content/tags", "", nil, map[string]string{"X-Forwarded-For": "203.0.113.10"}).want(http.StatusOK)
		for range 5 {
			s.get("/api/v1/content/tags").want(http.StatusOK)
		}
		// The management API is not limited by the content API's buckets.
		s.do("GET", "/api/v1/auth/me", s.admin, nil, nil).want(http.StatusOK)
	})
}

// TestContentAPI_CORS: any origin by default, a list when configured, and
// no CORS at all on the management API.
func TestContentAPI_CORS(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	s := newAPIServer(t, db, nil)
	origin := map[string]string{"Origin": "https://mp.example.cn"}
	if r := s.do("GET", "/api/v1/content/site", "", nil, origin); r.header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "ETag") {
		t.Errorf("default CORS: %v", r.header)
	}
	pre := s.do("OPTIONS", "/api/v1/content/stories", "", nil, map[string]string{"Origin": "https://mp.example.cn",
		"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-api-key"})
	if pre.status != http.StatusNoContent || !strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "X-API-Key") {
		t.Errorf("preflight: %d %v", pre.status, pre.header)
	}
	if r := s.do("GET", "/api/v1/auth/me", s.admin, nil, origin); r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("management API sends CORS headers")
	}

	db2 := storetest.MustOpen(t)
	only := newAPIServer(t, db2, func(c *web.Config) { c.CORSOrigins = []string{"https://portal.example.gov.cn"} })
	if r := only.do("GET", "/api/v1/content/site", "", nil, map[string]string{"Origin": "https://portal.example.gov.cn"}); r.header.Get("Access-Control-Allow-Origin") != "https://portal.example.gov.cn" ||
		!strings.Contains(r.header.Get("Vary"), "Origin") {
		t.Errorf("listed origin: %v", r.header)
	}
	if r := only.do("GET", "/api/v1/content/site", "", nil, origin); r.status != 200 || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("unlisted origin: %d %v", r.status, r.header)
	}
}

// TestOpenAPIDocument: the served document is OpenAPI 3.1 and describes
// every management and content route (the other tests validate answers).
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	s := newAPIServer(t, db, nil)
	r := s.get("/api/v1/openapi.json").want(http.StatusOK)
	doc := r.json()
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi %v", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	for _, p := range []string{"/api/v1/content/stories", "/api/v1/content/stories/{slug}", "/api/v1/stories/{id}/actions/{action}",
		"/api/v1/apikeys", "/api/v1/apikeys/{id}", "/api/v1/projects", "/api/v1/media"} {
		if paths[p] == nil {
			t.Errorf("document lacks %s", p)
		}
	}
	if s.do("GET", "/api/v1/openapi.json", "", nil, map[string]string{"If-None-Match": r.header.Get("ETag")}).status != http.StatusNotModified {
		t.Errorf("openapi.json If-None-Match: want 304")
	}
}
