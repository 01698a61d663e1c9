package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/huimin/huimin/cms/web/webtest"
)

// TestOpenAPI_ReplyReviewSchema: the document describes a message's review
// stage, and answers without it or with a stage the site cannot have are
// reported.
func TestOpenAPI_ReplyReviewSchema(t *testing.T) {
	t.Parallel()
	v := webtest.NewValidator(t)
	hdr := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	msg := `{"id":1,"code":"ABCDEFGH23","state":"done","publish_state":"review","review_stage":2,"version":4,"flags":[]}`
	for _, tc := range []struct {
		method, path, body string
		status             int
		ok                 bool
	}{
		{"GET", "/api/v1/interact/messages/1", msg, 200, true},
		{"GET", "/api/v1/interact/messages/1", strings.Replace(msg, `,"review_stage":2`, "", 1), 200, false},
		{"GET", "/api/v1/interact/messages/1", strings.Replace(msg, `"review_stage":2`, `"review_stage":4`, 1), 200, false},
		{"POST", "/api/v1/interact/messages/1/actions/approve", msg, 200, true},
		{"POST", "/api/v1/interact/messages/1/actions/approve", `{"error":{"code":"forbidden","message":"这条答复在复审阶段，只有复审人员或管理员可以审核通过"}}`, 403, true},
		{"GET", "/api/v1/interact/messages?queue=review", `{"items":[` + msg + `],"total":1,"page":1,"per_page":20}`, 200, true},
		{"GET", "/api/v1/interact/messages?queue=review", `{"items":[{"id":1}],"total":1,"page":1,"per_page":20}`, 200, false},
	} {
		f := &failures{TB: t}
		v.Check(f, httptest.NewRequest(tc.method, tc.path, nil), tc.status, hdr, []byte(tc.body))
		if ok := len(f.errs) == 0; ok != tc.ok {
			t.Errorf("%s %s %s: valid=%v, want %v (%v)", tc.method, tc.path, tc.body, ok, tc.ok, f.errs)
		}
	}
}
