package cli_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/huimin/huimin/cms/cli/clitest"
)

// TestServe_PastedImages: pictures pasted from a WeChat article (on an
// allowed image host, here a local stand-in) and screenshots pasted as
// data: URIs are copied into the media library when the story is saved;
// a picture from any other site stays, and publishing refuses it by name
// until it is replaced. The public page never loads a picture from
// elsewhere.
func TestServe_PastedImages(t *testing.T) {
	t.Parallel()
	photo := clitest.TestPhoto(t, 30)
	var fetched, failed atomic.Int32
	wechat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/mmbiz_jpg/abc123/640":
			fetched.Add(1)
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(photo)
		case "/mmbiz_png/gone/640":
			failed.Add(1)
			http.Error(w, "gone", http.StatusNotFound)
		case "/elsewhere":
			// A redirect off the allowed host must not be followed.
			http.Redirect(w, r, "http://127.0.0.2:9/x.jpg", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer wechat.Close()
	host := strings.TrimPrefix(wechat.URL, "http://")

	s := clitest.MustRunServe(t, "", "--demo=false", "--fetch-image-hosts", host)
	token := s.Login(t, "admin", s.Password)
	_, p := s.Call(t, "POST", "/api/v1/projects", token, map[string]any{"name": "银龄互助", "kind": "volunteer", "area": "elderly"})

	wx := wechat.URL + "/mmbiz_jpg/abc123/640?wx_fmt=jpeg&amp;from=appmsg"
	body := `<p>活动现场</p><p><img src="` + wx + `" alt="志愿者为老人理发"></p>` +
		`<p><img src="` + pngDataURI(t) + `" alt="活动海报"></p>` +
		`<p><img src="` + wx + `" alt="同一张图片再次出现"></p>` +
		`<p><img src="https://example.invalid/photo.jpg" alt="外部网站的图片"></p>` +
		`<p><img src="` + wechat.URL + `/elsewhere" alt="跳转到别处的图片"></p>` +
		`<p><img src="` + wechat.URL + `/mmbiz_png/gone/640" alt="已被删除的图片"></p>`
	st := s.Must(t, http.StatusCreated, "POST", "/api/v1/stories", token, map[string]any{"title": "银龄理发日", "project_id": p["id"], "body": body})
	saved := st["body"].(string)
	if strings.Contains(saved, "mmbiz_jpg") || strings.Contains(saved, "data:image") {
		t.Errorf("pasted pictures not copied into the library:\n%s", saved)
	}
	if n := strings.Count(saved, `srcset="/media/`); n != 3 {
		t.Errorf("%d body images point at library variants, want 3:\n%s", n, saved)
	}
	for _, alt := range []string{"志愿者为老人理发", "活动海报", "同一张图片再次出现"} {
		if !strings.Contains(saved, `alt="`+alt+`"`) {
			t.Errorf("alt text %q lost", alt)
		}
	}
	if !strings.Contains(saved, "https://example.invalid/photo.jpg") || !strings.Contains(saved, wechat.URL+"/elsewhere") {
		t.Errorf("pictures that could not be copied should stay as pasted:\n%s", saved)
	}
	if n := fetched.Load(); n != 1 {
		t.Errorf("the WeChat picture was fetched %d times, want once", n)
	}
	// Saving again does not try the picture that failed a moment ago.
	if code, upd := s.Call(t, "PATCH", fmt.Sprintf("/api/v1/stories/%v", st["id"]), token, map[string]any{"version": st["version"], "body": saved}); code != http.StatusOK {
		t.Fatalf("save again: %d %v", code, upd)
	} else {
		st = upd
	}
	if n := failed.Load(); n != 1 {
		t.Errorf("a picture that could not be fetched was tried %d times in two saves, want once", n)
	}
	code, lib := s.Call(t, "GET", "/api/v1/media", token, nil)
	if code != http.StatusOK || clitest.Num(lib["total"]) != 2 {
		t.Errorf("media library: %d, %v items, want the 2 copies", code, lib["total"])
	}

	// The check panel names the pictures that stay foreign.
	code, check := s.Call(t, "GET", fmt.Sprintf("/api/v1/stories/%v/check", st["id"]), token, nil)
	foreign := 0
	for _, h := range check["items"].([]any) {
		if h.(map[string]any)["check"] == "remote_image" {
			foreign++
		}
	}
	if code != http.StatusOK || foreign != 3 {
		t.Errorf("check: %d, %d remote_image hits, want 3: %v", code, foreign, check["items"])
	}

	code, out := s.Call(t, "POST", fmt.Sprintf("/api/v1/stories/%v/actions/publish", st["id"]), token, nil)
	msg, _ := clitest.Fields(out)["body"].(string)
	if code != http.StatusUnprocessableEntity || !strings.Contains(msg, "第4张图片引用外部网站（example.invalid）") || !strings.Contains(msg, "第5张") || !strings.Contains(msg, "第6张") {
		t.Fatalf("publish with foreign pictures: %d %v, want 422 naming pictures 4, 5 and 6", code, out)
	}

	// Remove them; the story publishes and its page loads only its own pictures.
	kept := saved[:strings.Index(saved, `<p><img src="https://example.invalid`)]
	s.Must(t, http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/stories/%v", st["id"]), token, map[string]any{"version": st["version"], "body": kept})
	code, out = s.Call(t, "POST", fmt.Sprintf("/api/v1/stories/%v/actions/publish", st["id"]), token, nil)
	if code != http.StatusOK {
		t.Fatalf("publish: %d %v", code, out)
	}
	s.WaitBuild(t, token, out["build_id"])
	_, page := s.Get(t, out["url"].(string))
	if !strings.Contains(page, "志愿者为老人理发") || strings.Contains(page, host) || strings.Contains(page, "data:image") {
		t.Errorf("public page loads pictures from elsewhere or lacks the story")
	}
}

func pngDataURI(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for y := range 300 {
		for x := range 400 {
			img.Set(x, y, color.RGBA{uint8(x / 2), uint8(y / 2), 160, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}
