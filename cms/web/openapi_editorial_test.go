package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
	"github.com/huimin/huimin/cms/web"
	"github.com/huimin/huimin/cms/web/webtest"
)

// The validator decodes JSON bodies only; the QR code is a binary PNG.
// Registered before any test runs: the decoder table is global.
func init() {
	if openapi3filter.RegisteredBodyDecoder("image/png") == nil {
		openapi3filter.RegisterBodyDecoder("image/png", openapi3filter.FileBodyDecoder)
	}
}

// pagePreviewer stands in for the site renderer behind /preview/{token};
// the management API under test only needs one to be configured.
type pagePreviewer struct{}

func (pagePreviewer) PreviewStory(_ context.Context, s *cms.LiveStory) ([]byte, error) {
	return []byte("<!DOCTYPE html><title>" + s.Title + "</title>"), nil
}

// editorialServer is the API server with the editorial workflow wired to
// the store: revisions, review inbox, dictionary, checks and previews.
func editorialServer(t *testing.T, db *store.DB) *apiServer {
	return newAPIServer(t, db, func(c *web.Config) {
		c.Revisions, c.Review, c.Dictionary, c.Checks = db, db, db, db
		c.Previewer = pagePreviewer{}
		c.PreviewKey = []byte("0123456789abcdef0123456789abcdef")
	})
}

func (s *apiServer) user(username string, role cms.Role, level int) string {
	s.t.Helper()
	u := &cms.User{Username: username, Name: username, Role: role, Level: level}
	if err := s.db.CreateUser(context.Background(), u, username+"-password"); err != nil {
		s.t.Fatal(err)
	}
	return s.login(username, username+"-password")
}

func num(m map[string]any, k string) int64 {
	f, _ := m[k].(float64)
	return int64(f)
}

func errCode(r reply) any { return r.json()["error"].(map[string]any)["code"] }

// TestOpenAPI_Editorial sends the editorial routes real requests, success
// and error, and the client validates every answer against openapi.json
// (webtest.Transport, strict: an undocumented route fails too).
func TestOpenAPI_Editorial(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := editorialServer(t, db)
		editor := s.user("editor", cms.RoleEditor, 0)
		reviewer := s.user("reviewer1", cms.RoleReviewer, 1)
		pid := s.project("婚姻登记颁证", "banzheng", cms.KindWindow, "marriage")

		t.Run("dictionary", func(t *testing.T) {
			s.t = t
			// The migrations seed the dictionary with common errors.
			seeded := len(s.do("GET", "/api/v1/dictionary", editor, nil, nil).want(http.StatusOK).items())
			term := map[string]any{"term": "敬老园", "kind": "error", "severity": "serious", "suggestion": "敬老院", "note": "常见错字"}
			s.do("POST", "/api/v1/dictionary", editor, term, nil).want(http.StatusForbidden)
			created := s.do("POST", "/api/v1/dictionary", s.admin, term, nil).want(http.StatusCreated)
			tm := created.json()
			id := num(tm, "id")
			if loc := created.header.Get("Location"); loc != fmt.Sprintf("/api/v1/dictionary/%d", id) {
				t.Errorf("Location %q", loc)
			}
			if c := errCode(s.do("POST", "/api/v1/dictionary", s.admin, term, nil).want(http.StatusConflict)); c != cms.ECONFLICT {
				t.Errorf("duplicate: code %v", c)
			}
			s.do("POST", "/api/v1/dictionary", s.admin, map[string]any{"term": "", "kind": "odd", "severity": "x"}, nil).
				want(http.StatusUnprocessableEntity)
			s.do("POST", "/api/v1/dictionary", s.admin, map[string]any{"term": "x", "kind": "error", "severity": "info", "extra": 1}, nil).
				want(http.StatusUnprocessableEntity)

			path := fmt.Sprintf("/api/v1/dictionary/%d", id)
			upd := s.do("PATCH", path, s.admin, map[string]any{"version": num(tm, "version"), "note": "民政部门名称", "suggestion": nil}, nil).
				want(http.StatusOK).json()
			if num(upd, "version") != num(tm, "version")+1 || upd["note"] != "民政部门名称" || upd["suggestion"] != "敬老院" {
				t.Errorf("update: %v", upd)
			}
			stale := s.do("PATCH", path, s.admin, map[string]any{"version": num(tm, "version"), "note": "旧"}, nil).want(http.StatusConflict)
			if cur, _ := stale.json()["error"].(map[string]any)["current"].(map[string]any); num(cur, "version") != num(upd, "version") {
				t.Errorf("stale update: current %v", cur)
			}
			s.do("PATCH", path, s.admin, map[string]any{"note": "缺版本"}, nil).want(http.StatusUnprocessableEntity)
			s.do("PATCH", path, editor, map[string]any{"version": num(upd, "version")}, nil).want(http.StatusForbidden)
			s.do("PATCH", "/api/v1/dictionary/9999", s.admin, map[string]any{"version": 1}, nil).want(http.StatusNotFound)

			other := s.do("POST", "/api/v1/dictionary", s.admin, map[string]any{"term": "老残", "kind": "forbidden", "severity": "warning"}, nil).
				want(http.StatusCreated).json()
			s.do("DELETE", fmt.Sprintf("/api/v1/dictionary/%d", num(other, "id")), editor, nil, nil).want(http.StatusForbidden)
			s.do("DELETE", fmt.Sprintf("/api/v1/dictionary/%d", num(other, "id")), s.admin, nil, nil).want(http.StatusNoContent)
			s.do("DELETE", fmt.Sprintf("/api/v1/dictionary/%d", num(other, "id")), s.admin, nil, nil).want(http.StatusNotFound)
			if r := s.do("GET", "/api/v1/dictionary", editor, nil, nil).want(http.StatusOK); len(r.items()) != seeded+1 {
				t.Errorf("dictionary after delete: %s", r.body)
			}
		})

		// A story with a (seeded) dictionary hit and a picture from another site.
		id, _ := s.story(map[string]any{"title": "区民证局开展婚姻登记颁证", "project_id": pid,
			"body": `<p>区民证局为新人颁证。</p><p><img src="https://img.example.com/a.jpg" alt="颁证现场"></p>`})
		base := fmt.Sprintf("/api/v1/stories/%d", id)

		t.Run("check", func(t *testing.T) {
			s.t = t
			r := s.do("GET", base+"/check", editor, nil, nil).want(http.StatusOK).json()
			checks := map[string]bool{}
			for _, h := range r["items"].([]any) {
				checks[h.(map[string]any)["check"].(string)] = true
			}
			if !checks[cms.CheckDictionary] || !checks[cms.CheckRemoteImage] || num(r, "serious") < 1 || num(r, "total") != int64(len(r["items"].([]any))) {
				t.Errorf("check: %v", r)
			}
			s.do("GET", "/api/v1/stories/9999/check", editor, nil, nil).want(http.StatusNotFound)
			s.do("GET", base+"/check", "", nil, nil).want(http.StatusUnauthorized)
		})

		t.Run("diff and restore", func(t *testing.T) {
			s.t = t
			st := s.do("GET", base, s.admin, nil, nil).want(http.StatusOK).json()
			v2 := s.do("PATCH", base, s.admin, map[string]any{"version": num(st, "version"), "title": "区民政局开展婚姻登记颁证"}, nil).
				want(http.StatusOK).json()
			d := s.do("GET", base+"/diff", reviewer, nil, nil).want(http.StatusOK).json()
			if num(d["from"].(map[string]any), "version") != 1 || num(d["to"].(map[string]any), "version") != num(v2, "version") {
				t.Errorf("default diff: %v → %v", d["from"], d["to"])
			}
			s.do("GET", base+"/diff?from=1&to=1", reviewer, nil, nil).want(http.StatusOK)
			s.do("GET", base+"/diff?from=0&to=x", reviewer, nil, nil).want(http.StatusUnprocessableEntity)
			s.do("GET", base+"/diff?to=99", reviewer, nil, nil).want(http.StatusNotFound)
			s.do("GET", "/api/v1/stories/9999/diff", reviewer, nil, nil).want(http.StatusNotFound)

			restored := s.do("POST", base+"/revisions/1/restore", s.admin, map[string]any{"version": num(v2, "version")}, nil).
				want(http.StatusOK).json()
			if restored["title"] != "区民证局开展婚姻登记颁证" || num(restored, "version") != num(v2, "version")+1 {
				t.Errorf("restore: %v", restored)
			}
			stale := s.do("POST", base+"/revisions/1/restore", s.admin, map[string]any{"version": num(v2, "version")}, nil).
				want(http.StatusConflict).json()["error"].(map[string]any)
			if int64(stale["current_version"].(float64)) != num(restored, "version") {
				t.Errorf("stale restore: %v", stale)
			}
			s.do("POST", base+"/revisions/1/restore", s.admin, map[string]any{}, nil).want(http.StatusUnprocessableEntity)
			s.do("POST", base+"/revisions/99/restore", s.admin, map[string]any{"version": num(restored, "version")}, nil).
				want(http.StatusNotFound)
			s.do("POST", base+"/revisions/x/restore", s.admin, map[string]any{"version": 1}, nil).want(http.StatusNotFound)
		})

		t.Run("inbox", func(t *testing.T) {
			s.t = t
			sub, _ := s.story(map[string]any{"title": "银龄互助志愿服务", "project_id": pid, "body": "<p>志愿服务。</p>"})
			s.act(sub, "submit")
			in := s.do("GET", "/api/v1/review/inbox", s.admin, nil, nil).want(http.StatusOK).json()
			if num(in, "total") < 1 || !in["final_stage"].(bool) || len(in["stages"].([]any)) != int(num(in, "review_stages")) {
				t.Errorf("admin inbox: %v", in)
			}
			s.do("GET", "/api/v1/review/inbox?page=1&per_page=1", reviewer, nil, nil).want(http.StatusOK)
			s.do("GET", "/api/v1/review/inbox", editor, nil, nil).want(http.StatusOK)
			s.do("GET", "/api/v1/review/inbox?per_page=1000", editor, nil, nil).want(http.StatusUnprocessableEntity)
			s.do("GET", "/api/v1/review/inbox", "", nil, nil).want(http.StatusUnauthorized)
		})

		t.Run("preview", func(t *testing.T) {
			s.t = t
			link := s.do("POST", base+"/preview", reviewer, nil, nil).want(http.StatusCreated).json()
			if !strings.HasPrefix(link["url"].(string), "/preview/") || num(link, "story_id") != id {
				t.Errorf("preview link: %v", link)
			}
			s.do("POST", base+"/preview", reviewer, map[string]any{"version": 1, "expires_in": 3600}, nil).want(http.StatusCreated)
			s.do("POST", base+"/preview", reviewer, map[string]any{"version": 99}, nil).want(http.StatusNotFound)
			s.do("POST", base+"/preview", reviewer, map[string]any{"expires_in": 8 * 24 * 3600}, nil).want(http.StatusUnprocessableEntity)
			s.do("POST", "/api/v1/stories/9999/preview", reviewer, nil, nil).want(http.StatusNotFound)
			// The link itself is outside the API: fetch it without the validator.
			resp, err := http.Get(s.url + link["url"].(string))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET preview link: %d", resp.StatusCode)
			}
		})

		t.Run("share", func(t *testing.T) {
			s.t = t
			cover, _, err := db.CreateMedia(context.Background(), &cms.Media{Hash: "5ba7e", Filename: "颁证.jpg", Format: "jpeg",
				Width: 2350, Height: 1000, Alt: "颁证现场", Variants: []cms.MediaVariant{
					{Name: "cover235", Width: 940, Height: 400, URL: "/media/5ba7e/cover235.jpg?v=1"},
					{Name: "cover11", Width: 400, Height: 400, URL: "/media/5ba7e/cover11.jpg?v=1"}}})
			if err != nil {
				t.Fatal(err)
			}
			pub, _ := s.published(map[string]any{"title": "颁证仪式", "share_title": "新人颁证", "project_id": pid,
				"cover_media_id": cover.ID, "body": "<p>颁证。</p>"})
			sh := s.do("GET", fmt.Sprintf("/api/v1/stories/%d/share", pub), editor, nil, nil).want(http.StatusOK).json()
			if sh["title"] != "新人颁证" || len(sh["covers"].([]any)) != 2 {
				t.Errorf("share: %v", sh)
			}
			qr := s.do("GET", fmt.Sprintf("/api/v1/stories/%d/qr.png", pub), editor, nil, nil).want(http.StatusOK)
			if qr.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(string(qr.body), "\x89PNG") {
				t.Errorf("qr.png: %s", qr.header.Get("Content-Type"))
			}
			s.do("GET", base+"/share", editor, nil, nil).want(http.StatusConflict) // never published
			s.do("GET", base+"/qr.png", editor, nil, nil).want(http.StatusConflict)
			s.do("GET", "/api/v1/stories/9999/share", editor, nil, nil).want(http.StatusNotFound)
		})

		t.Run("wechat signature", func(t *testing.T) {
			s.t = t
			sig := "/api/v1/content/wechat/signature?url=" + url.QueryEscape("https://www.example.gov.cn/stories/a/")
			s.get(sig).want(http.StatusNotFound) // no official account configured
			set := s.do("GET", "/api/v1/settings", s.admin, nil, nil).want(http.StatusOK).json()
			s.do("PATCH", "/api/v1/settings", s.admin, map[string]any{"version": num(set, "version"),
				"base_url": "https://www.example.gov.cn", "wechat_app_id": "wx0123456789abcdef", "wechat_secret": "s3cret"}, nil).
				want(http.StatusOK)
			// Only the refusals: a signature needs WeChat's servers.
			s.get("/api/v1/content/wechat/signature?url=" + url.QueryEscape("https://evil.example.com/")).want(http.StatusUnprocessableEntity)
			s.get("/api/v1/content/wechat/signature").want(http.StatusUnprocessableEntity)
		})
		s.t = t
	})
}

// TestOpenAPI_PreviewUnavailable: without a preview key the link request is a 503.
func TestOpenAPI_PreviewUnavailable(t *testing.T) {
	t.Parallel()
	db := storetest.MustOpen(t)
	s := newAPIServer(t, db, func(c *web.Config) { c.Revisions = db })
	pid := s.project("银龄互助", "yinling", cms.KindVolunteer, "elderly")
	id, _ := s.story(map[string]any{"title": "预览", "project_id": pid})
	s.do("POST", fmt.Sprintf("/api/v1/stories/%d/preview", id), s.admin, nil, nil).want(http.StatusServiceUnavailable)
}

// failures is a testing.TB that only records failures.
type failures struct {
	testing.TB
	errs []string
}

func (f *failures) Helper() {}
func (f *failures) Errorf(format string, a ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, a...))
}

// TestOpenAPI_EditorialSchemas makes sure the new schemas have teeth:
// answers of the wrong shape are reported.
func TestOpenAPI_EditorialSchemas(t *testing.T) {
	t.Parallel()
	v := webtest.NewValidator(t)
	hdr := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	sig := `{"app_id":"wx1","timestamp":1,"nonce_str":"n","signature":"s","url":"https://a/"}`
	hit := `{"check":"remote_image","field":"body.img[1].src","position":0,"length":0,"severity":"serious","message":"m"}`
	for _, tc := range []struct {
		method, path, body string
		status             int
		ok                 bool
	}{
		{"GET", "/api/v1/content/wechat/signature?url=x", sig, 200, true},
		{"GET", "/api/v1/content/wechat/signature?url=x", strings.Replace(sig, `"url"`, `"app_secret":"x","url"`, 1), 200, false},
		{"GET", "/api/v1/stories/1/check", `{"items":[` + hit + `],"total":1,"serious":1}`, 200, true},
		{"GET", "/api/v1/stories/1/check", `{"items":[` + strings.Replace(hit, "remote_image", "spelling", 1) + `],"total":1,"serious":1}`, 200, false},
		{"GET", "/api/v1/stories/1/check", `{"items":null,"total":0,"serious":0}`, 200, false},
		{"GET", "/api/v1/dictionary", `{"items":[{"id":1,"term":"t"}],"total":1}`, 200, false},
		{"PATCH", "/api/v1/dictionary/1", `{"error":{"code":"conflict","message":"词条已被他人修改"}}`, 409, true},
		{"POST", "/api/v1/stories/1/preview", `{"url":"/preview/x","story_id":1,"version":1}`, 201, false},
		{"GET", "/api/v1/review/inbox", `{"items":[],"total":0}`, 200, false},
	} {
		f := &failures{TB: t}
		v.Check(f, httptest.NewRequest(tc.method, tc.path, nil), tc.status, hdr, []byte(tc.body))
		if ok := len(f.errs) == 0; ok != tc.ok {
			t.Errorf("%s %s %s: valid=%v, want %v (%v)", tc.method, tc.path, tc.body, ok, tc.ok, f.errs)
		}
	}
}
