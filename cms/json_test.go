package cms

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecodeJSON(t *testing.T) {
	type req struct {
		Title string     `json:"title"`
		At    *time.Time `json:"at"`
	}
	tests := []struct {
		name, body string
		code       string // "" for no *Error
		message    string // or the field named
	}{
		{"ok", `{"title":"你好"}`, "", ""},
		{"empty", ``, EBADREQUEST, "请求内容为空，需要 JSON 对象"},
		{"syntax", `{"title" 1}`, EBADREQUEST, "JSON 格式错误（第 10 个字节附近）"},
		{"incomplete", `{"title":`, EBADREQUEST, "JSON 内容不完整"},
		{"not an object", `[1]`, EBADREQUEST, "请求内容必须是 JSON 对象"},
		{"two values", `{} {}`, EBADREQUEST, "请求内容不是单个 JSON 对象"},
		{"type", `{"title":1}`, EINVALID, "title"},
		{"unknown", `{"titel":"x"}`, EINVALID, "titel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r req
			err := DecodeJSON(strings.NewReader(tt.body), &r)
			var e *Error
			switch {
			case tt.code == "" && err != nil:
				t.Fatalf("DecodeJSON(%q) = %v", tt.body, err)
			case tt.code == "":
			case !errors.As(err, &e) || e.Code != tt.code:
				t.Fatalf("DecodeJSON(%q) = %v, want code %s", tt.body, err, tt.code)
			case tt.code == EINVALID && e.Fields[tt.message] == "":
				t.Errorf("DecodeJSON(%q) = %v, want field %q named", tt.body, err, tt.message)
			case tt.code != EINVALID && e.Message != tt.message:
				t.Errorf("DecodeJSON(%q) says %q, want %q", tt.body, e.Message, tt.message)
			}
		})
	}
	t.Run("a field's own error is returned as it is", func(t *testing.T) {
		var r req
		err := DecodeJSON(strings.NewReader(`{"at":"昨天"}`), &r)
		var perr *time.ParseError
		if !errors.As(err, &perr) {
			t.Errorf("DecodeJSON = %v, want the *time.ParseError", err)
		}
	})
}
