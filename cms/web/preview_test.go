package web

import (
	"strings"
	"testing"
	"time"
)

func TestPreviewToken(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	tok := signPreview(key, previewToken{StoryID: 42, Version: 7, Expires: now.Add(time.Hour)})
	got, ok := parsePreview(key, tok, now)
	if !ok || got.StoryID != 42 || got.Version != 7 {
		t.Fatalf("parse own token: %+v %v", got, ok)
	}
	if _, ok := parsePreview(key, tok, now.Add(2*time.Hour)); ok {
		t.Error("expired token accepted")
	}
	if _, ok := parsePreview([]byte("another key, another server......"), tok, now); ok {
		t.Error("token accepted under another key")
	}
	forged := strings.Replace(tok, "42.7.", "43.7.", 1)
	if _, ok := parsePreview(key, forged, now); ok {
		t.Error("token for another story accepted")
	}
	for _, bad := range []string{"", ".", "42.7.1", "a.b.c.d", tok + "x"} {
		if _, ok := parsePreview(key, bad, now); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, ok := parsePreview(nil, tok, now); ok {
		t.Error("accepted without a key")
	}
}
