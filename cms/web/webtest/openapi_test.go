package webtest

import (
	"fmt"
	"net/http/httptest"
	"testing"
)

// recorder is a testing.TB that only records failures.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, a...))
}

// TestValidator_Catches makes sure validation has teeth: answers that break
// the document are reported, matching ones are not.
func TestValidator_Catches(t *testing.T) {
	v := NewValidator(t)
	json := map[string][]string{"Content-Type": {"application/json; charset=utf-8"}}
	for _, tc := range []struct {
		path, body string
		status     int
		ok         bool
	}{
		{"/api/v1/content/site", `{"site_name":"惠民","organizer":"区民政局","icp":""}`, 200, true},
		{"/api/v1/content/site", `{"site_name":"惠民","organizer":"区民政局","icp":"","wechat_secret":"x"}`, 200, false},
		{"/api/v1/content/site", `{"site_name":"惠民"}`, 200, false},
		{"/api/v1/content/stories/x", `{"id":1,"cover":null,"images":[]}`, 200, true},
		{"/api/v1/content/stories/x", `{"id":"1"}`, 200, false},
		{"/api/v1/content/stories/x", `{"id":1,"filename":"a.jpg"}`, 200, false},
		{"/api/v1/content/stories/x", `{"error":{"code":"not_found","message":"稿件不存在"}}`, 404, true},
		{"/api/v1/content/stories/x", `{"error":{"code":"teapot","message":""}}`, 404, false},
		{"/api/v1/settings", `{"site_name":"惠民","review_stages":3,"version":1,"wechat_secret_set":true,"wechat_secret":"s"}`, 200, false},
		{"/api/v1/no-such-route", `{}`, 200, false},
	} {
		r := &recorder{}
		v.Check(r, httptest.NewRequest("GET", tc.path, nil), tc.status, json, []byte(tc.body))
		if ok := len(r.errs) == 0; ok != tc.ok {
			t.Errorf("%s %s: valid=%v, want %v (%v)", tc.path, tc.body, ok, tc.ok, r.errs)
		}
	}
}
