package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

func testServer() *Server {
	return New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxJSONBytes: 1 << 10})
}

func TestWriteError(t *testing.T) {
	t.Parallel()
	s := testServer()
	tests := []struct {
		name   string
		err    error
		status int
		code   string
		leak   string
	}{
		{"invalid", cms.Invalid(map[string]string{"title": "标题不能为空"}), 422, cms.EINVALID, ""},
		{"wrapped conflict", fmt.Errorf("UpdateStory(1): %w", &cms.Error{Code: cms.ECONFLICT, Message: "已被修改", Current: &cms.Story{Version: 7}}), 409, cms.ECONFLICT, ""},
		// Every versioned record's conflict names its version (issue 13).
		{"term conflict", &cms.Error{Code: cms.ECONFLICT, Message: "已被修改", Current: &cms.DictionaryTerm{Version: 7}}, 409, cms.ECONFLICT, ""},
		{"page conflict", &cms.Error{Code: cms.ECONFLICT, Message: "已被修改", Current: &cms.StandingPage{Version: 7}}, 409, cms.ECONFLICT, ""},
		{"internal hides detail", errors.New(`Error 1064: You have an error in your SQL syntax near "SELECT"`), 500, cms.EINTERNAL, "SQL"},
		{"not found", cms.Errorf(cms.ENOTFOUND, "稿件不存在"), 404, cms.ENOTFOUND, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(w)
			c.Request = httptest.NewRequest("GET", "/", nil)
			s.writeError(c, tt.err)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			var body errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.Error.Code != tt.code || body.Error.Message == "" {
				t.Errorf("body %+v", body)
			}
			if tt.leak != "" && strings.Contains(w.Body.String(), tt.leak) {
				t.Errorf("response leaks %q: %s", tt.leak, w.Body)
			}
			if tt.code == cms.ECONFLICT && body.Error.CurrentVersion != 7 {
				t.Errorf("conflict without current_version: %s", w.Body)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	s := testServer()
	type req struct {
		Title string `json:"title"`
		N     int    `json:"n"`
	}
	tests := []struct {
		name, body string
		code       string
		field      string
	}{
		{"ok", `{"title":"你好","n":1}`, "", ""},
		{"syntax", `{"title":`, cms.EBADREQUEST, ""},
		{"empty", ``, cms.EBADREQUEST, ""},
		{"type", `{"title":1}`, cms.EINVALID, "title"},
		{"unknown", `{"titel":"x"}`, cms.EINVALID, "titel"},
		{"two objects", `{} {}`, cms.EBADREQUEST, ""},
		{"too large", `{"title":"` + strings.Repeat("长", 1000) + `"}`, cms.ETOOLARGE, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(w)
			c.Request = httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			var r req
			err := s.decode(c, &r)
			if got := cms.ErrorCode(err); got != tt.code {
				t.Fatalf("decode(%q) code %q (%v), want %q", tt.body, got, err, tt.code)
			}
			var e *cms.Error
			if tt.field != "" && (!errors.As(err, &e) || e.Fields[tt.field] == "") {
				t.Errorf("decode(%q) = %v, want field %q named", tt.body, err, tt.field)
			}
		})
	}
}

func TestLoginLimiter(t *testing.T) {
	t.Parallel()
	l := newLoginLimiter(nil) // the per-address bucket needs no store
	now := testNow
	allowed := 0
	for range 20 {
		if ok, _ := l.allow("ip:1.2.3.4", now); ok {
			allowed++
		}
	}
	if allowed != 10 {
		t.Fatalf("burst allowed %d attempts, want 10", allowed)
	}
	ok, wait := l.allow("ip:1.2.3.4", now)
	if ok || wait <= 0 {
		t.Fatalf("over the limit: ok=%v wait=%v", ok, wait)
	}
	if ok, _ := l.allow("ip:1.2.3.4", now.Add(wait)); !ok {
		t.Errorf("after waiting %v the next attempt should pass", wait)
	}
	if ok, _ := l.allow("ip:5.6.7.8", now); !ok {
		t.Errorf("another client is limited too")
	}
}

var testNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
