package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
)

// errFields returns the fields of an error answer.
func errFields(r reply) map[string]any {
	r.t.Helper()
	f, _ := r.json()["error"].(map[string]any)["fields"].(map[string]any)
	return f
}

// TestLimits_PageNumbers is issue 12 item 7: a page number too large for
// an offset is a 422 naming page on every paged list, never a wrap-around.
func TestLimits_PageNumbers(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := editorialServer(t, db)
		for _, path := range []string{
			"/api/v1/stories", "/api/v1/projects", "/api/v1/media", "/api/v1/builds",
			"/api/v1/audit", "/api/v1/review/inbox", "/api/v1/content/stories",
		} {
			for _, page := range []string{"9223372036854775807", "9223372036854775808", "1000001"} {
				r := s.do("GET", path+"?page="+page, s.admin, nil, nil).want(http.StatusUnprocessableEntity)
				if _, ok := errFields(r)["page"]; !ok {
					t.Errorf("%s?page=%s: no page field: %s", path, page, r.body)
				}
			}
			r := s.do("GET", path+"?per_page=9223372036854775807", s.admin, nil, nil).want(http.StatusUnprocessableEntity)
			if _, ok := errFields(r)["per_page"]; !ok {
				t.Errorf("%s per_page: %s", path, r.body)
			}
			s.do("GET", path+"?page=1000000&per_page=100", s.admin, nil, nil).want(http.StatusOK)
		}
	})
}

// TestLimits_SearchQuery is issue 12 item 8: an overlong search is a 422
// naming q, on the management list and the content API alike.
func TestLimits_SearchQuery(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := newAPIServer(t, db, nil)
		long := url.QueryEscape(strings.Repeat("养老", 25_000)) // 50,000 runes
		for _, path := range []string{"/api/v1/stories", "/api/v1/content/stories"} {
			r := s.do("GET", path+"?q="+long, s.admin, nil, nil).want(http.StatusUnprocessableEntity)
			if _, ok := errFields(r)["q"]; !ok {
				t.Errorf("%s: no q field: %s", path, r.body)
			}
			s.do("GET", path+"?q="+url.QueryEscape(strings.Repeat("养", 100)), s.admin, nil, nil).want(http.StatusOK)
		}
	})
}

// TestLimits_PreviewExpiry is issue 12 item 14: an expires_in that would
// overflow a duration is refused, naming the field.
func TestLimits_PreviewExpiry(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := editorialServer(t, db)
		pid := s.project("银龄互助", "yinling", "volunteer", "elderly")
		id, _ := s.story(map[string]any{"title": "预览", "summary": "摘要", "body": "<p>正文</p>", "project_id": pid})
		path := fmt.Sprintf("/api/v1/stories/%d/preview", id)
		for _, v := range []int64{9223372036854775807, 9223372036, 604801, -1} {
			r := s.do("POST", path, s.admin, map[string]any{"expires_in": v}, nil).want(http.StatusUnprocessableEntity)
			if _, ok := errFields(r)["expires_in"]; !ok {
				t.Errorf("expires_in %d: %s", v, r.body)
			}
		}
		s.do("POST", path, s.admin, map[string]any{"expires_in": 604800}, nil).want(http.StatusCreated)
	})
}
