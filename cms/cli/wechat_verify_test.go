package cli_test

import (
	"net/http"
	"testing"

	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestServe_WechatVerifyFile: an admin names the verification file WeChat
// asks for (JS接口安全域名) in the settings, and the site serves it from its
// root at once, without a site build; anything else under that pattern is
// a 404, and a wrong name is refused naming the field.
func TestServe_WechatVerifyFile(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		s := clitest.MustRunServe(t, dsn, "--demo=false")
		token := s.Login(t, "admin", s.Password)
		_, set := s.Call(t, "GET", "/api/v1/settings", token, nil)
		_, builds := s.Call(t, "GET", "/api/v1/builds", token, nil)

		code, out := s.Call(t, "PATCH", "/api/v1/settings", token, map[string]any{"version": set["version"], "wechat_verify_file": "verify.txt"})
		if code != http.StatusUnprocessableEntity || clitest.Fields(out)["wechat_verify_file"] == nil {
			t.Fatalf("a wrong file name: %d %v, want 422 naming wechat_verify_file", code, out)
		}
		// Pasted as the path of the downloaded file.
		code, out = s.Call(t, "PATCH", "/api/v1/settings", token, map[string]any{"version": set["version"],
			"wechat_verify_file": `C:\Users\xuanchuan\Downloads\MP_verify_Ab12Cd34.txt`})

		if code != http.StatusOK || out["wechat_verify_file"] != "MP_verify_Ab12Cd34.txt" {
			t.Fatalf("set the file: %d %v", code, out)
		}
		if code, body := s.Get(t, "/MP_verify_Ab12Cd34.txt"); code != http.StatusOK || body != "Ab12Cd34" {
			t.Errorf("GET /MP_verify_Ab12Cd34.txt = %d %q, want 200 Ab12Cd34", code, body)
		}
		if code, _ := s.Get(t, "/MP_verify_Other99.txt"); code != http.StatusNotFound {
			t.Errorf("another verification file: %d, want 404", code)
		}
		if _, after := s.Call(t, "GET", "/api/v1/builds", token, nil); clitest.Num(after["total"]) != clitest.Num(builds["total"]) {
			t.Errorf("builds %v → %v: the verification file needs no site build", builds["total"], after["total"])
		}
		_, audit := s.Call(t, "GET", "/api/v1/audit?object=settings", token, nil)
		items, _ := audit["items"].([]any)
		if len(items) == 0 || items[len(items)-1].(map[string]any)["detail"] != "微信域名验证文件" {
			t.Errorf("audit of the change: %v", audit["items"])
		}
	})
}
