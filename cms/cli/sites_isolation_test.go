package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/huimin/huimin/cms/cli"
	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/store/storetest"
)

// marker is in the name of every object of site B; nothing site A reads
// may contain it.
const marker = "乙站专属"

// siteClient calls the server as one user acting in one site.
type siteClient struct {
	t     *testing.T
	s     *clitest.Server
	token string
	site  string // Huimin-Site header; "" for none
	host  string // Host header; "" for the server's own address
}

func (c siteClient) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	return c.send(clitest.Request(c.t, method, c.s.URL+path, c.token, body))
}

// send does req in c's site, on c's host.
func (c siteClient) send(req *http.Request) (int, []byte) {
	c.t.Helper()
	if c.site != "" {
		req.Header.Set("Huimin-Site", c.site)
	}
	if c.host != "" {
		req.Host = c.host
	}
	resp, raw := clitest.Send(c.t, nil, req)
	return resp.StatusCode, raw
}

// obj makes a request that must answer want and returns its JSON object.
func (c siteClient) obj(want int, method, path string, body any) map[string]any {
	c.t.Helper()
	code, raw := c.do(method, path, body)
	if code != want {
		c.t.Fatalf("%s %s (site %q): %d, want %d: %s", method, path, c.site, code, want, raw)
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		c.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
	}
	return out
}

func (c siteClient) postForm(path string, form url.Values) (int, []byte) {
	c.t.Helper()
	req := clitest.Request(c.t, "POST", c.s.URL+path, "", form.Encode())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.send(req)
}

func (c siteClient) upload(name string, data []byte) map[string]any {
	c.t.Helper()
	code, raw := c.send(clitest.UploadRequest(c.t, c.s.URL, c.token, name, data))
	if code != http.StatusCreated && code != http.StatusOK {
		c.t.Fatalf("upload: %d %s", code, raw)
	}
	out := map[string]any{}
	json.Unmarshal(raw, &out)
	return out
}

// publish takes story id through submit, approve and publish (a site with
// one review stage) and returns the publish answer.
func (c siteClient) publish(id int) map[string]any {
	c.t.Helper()
	var out map[string]any
	for _, act := range []string{"submit", "approve", "publish"} {
		out = c.obj(200, "POST", fmt.Sprintf("/api/v1/stories/%d/actions/%s", id, act), map[string]any{})
	}
	return out
}

func runCLI(t *testing.T, s *clitest.Server, stdin string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	args = append(args, "--data", s.Data, "--db", s.DSN)
	if err := cli.Run(context.Background(), args, func(string) string { return "" }, strings.NewReader(stdin), &out, &errb, clitest.Project(t)); err != nil {
		t.Fatalf("huimin %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

func smallPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for x := 0; x < 640; x++ {
		for y := 0; y < 480; y++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSites_Isolation walks every route of the management API (every path
// of openapi.json) as an admin of site A against the objects of site B:
// acting in A, each answers 404 (or 403) and changes nothing; naming site
// B in the Huimin-Site header, each answers 403. Lists in A never show B's
// objects, and the content API, previews and search answer by Host.
func TestSites_Isolation(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		s := clitest.MustRunServe(t, dsn, "--demo=false")
		runCLI(t, s, "", "site", "create", "--name", "乙区民政局", "--slug", "yiqu", "--host", "yiqu.example.test", "--overview")
		runCLI(t, s, "password-aadmin\n", "user", "create", "--name", "aadmin", "--role", "admin", "--password-stdin")
		runCLI(t, s, "password-badmin\n", "user", "create", "--name", "badmin", "--role", "admin", "--in-site", "yiqu", "--password-stdin")

		login := func(user string) string { return s.Login(t, user, "password-"+user) }
		b := siteClient{t: t, s: s, token: login("badmin"), site: "yiqu"}
		a := siteClient{t: t, s: s, token: login("aadmin")}
		aInB := a
		aInB.site = "yiqu"

		// Site B's objects, one of each kind.
		settings := b.obj(200, "GET", "/api/v1/settings", nil)
		b.obj(200, "PATCH", "/api/v1/settings", map[string]any{"version": settings["version"], "review_stages": 1, "site_name": marker + "站"})
		brand := b.obj(201, "POST", "/api/v1/brands", map[string]any{"name": marker + "品牌"})
		project := b.obj(201, "POST", "/api/v1/projects", map[string]any{"name": marker + "项目", "slug": "yiqu-xiangmu",
			"kind": "window", "area": "marriage", "summary": "乙区", "brand_id": brand["id"]})
		media := b.upload(marker+"照片.png", smallPNG(t))
		story := b.obj(201, "POST", "/api/v1/stories", map[string]any{"title": marker + "颁证故事", "summary": "乙区摘要",
			"body": "<p>乙区正文 独有检索词甲乙丙丁</p>", "project_id": project["id"]})
		sid := clitest.Num(story["id"])
		b.publish(sid)
		story = b.obj(200, "GET", fmt.Sprintf("/api/v1/stories/%d", sid), nil)
		page := b.obj(201, "POST", "/api/v1/pages", map[string]any{"slug": "yiqu-page", "title": marker + "栏目", "body": "<p>乙区</p>"})
		term := b.obj(201, "POST", "/api/v1/dictionary", map[string]any{"term": marker + "词", "kind": "forbidden", "severity": "warning"})
		key := b.obj(201, "POST", "/api/v1/apikeys", map[string]any{"name": marker + "接口", "rate_limit": 5})
		build := b.obj(202, "POST", "/api/v1/builds", nil)
		me := b.obj(200, "GET", "/api/v1/auth/me", nil)
		preview := b.obj(201, "POST", fmt.Sprintf("/api/v1/stories/%d/preview", sid), map[string]any{})

		// Site B has overview on: its highlight is a story site A published.
		setA := a.obj(200, "GET", "/api/v1/settings", nil)
		a.obj(200, "PATCH", "/api/v1/settings", map[string]any{"version": setA["version"], "review_stages": 1})
		projA := a.obj(201, "POST", "/api/v1/projects", map[string]any{"name": "甲区项目", "slug": "jiaqu",
			"kind": "window", "area": "marriage", "summary": "甲区"})
		storyA := a.obj(201, "POST", "/api/v1/stories", map[string]any{"title": "甲区颁证", "summary": "甲区",
			"body": "<p>甲区正文</p>", "project_id": projA["id"]})
		a.publish(clitest.Num(storyA["id"]))
		highlight := b.obj(201, "POST", "/api/v1/highlights", map[string]any{"site_id": 1, "story_id": storyA["id"]})

		// A message from the public on B's host.
		pubForm := siteClient{t: t, s: s, host: "yiqu.example.test"}
		_, form := pubForm.do("GET", "/interact/message?project=yiqu-xiangmu", nil)
		tok := regexp.MustCompile(`name="token" value="([^"]+)"`).FindSubmatch(form)
		if tok == nil {
			t.Fatalf("no form token on B's message page: %.300s", form)
		}
		if code, out := pubForm.postForm("/interact/message", url.Values{"token": {string(tok[1])}, "category": {"consult"},
			"project": {"yiqu-xiangmu"}, "text": {marker + "留言：补领结婚证要带什么？"}}); code != 200 {
			t.Fatalf("message on B's host: %d %.300s", code, out)
		}
		var inbox clitest.List[map[string]any]
		if _, out := b.do("GET", "/api/v1/interact/messages", nil); json.Unmarshal(out, &inbox) != nil || len(inbox.Items) != 1 {
			t.Fatalf("B's inbox: %s", out)
		}
		message := b.obj(200, "GET", fmt.Sprintf("/api/v1/interact/messages/%d", clitest.Num(inbox.Items[0]["id"])), nil)

		var siteList clitest.List[map[string]any]
		if _, out := b.do("GET", "/api/v1/sites", nil); json.Unmarshal(out, &siteList) != nil || len(siteList.Items) != 1 {
			t.Fatalf("B's admin lists %s, want site B alone", out)
		}
		siteB := siteList.Items[0]

		ids := map[string]any{
			"interact/messages": message["id"], "sites": siteB["id"],
			"stories": story["id"], "projects": project["id"], "media": media["id"], "pages": page["id"], "brands": brand["id"],
			"dictionary": term["id"], "apikeys": key["id"], "builds": build["id"], "users": me["id"],
			"highlights": highlight["id"],
		}
		// Valid bodies for the updates, at the versions B's objects have.
		v := func(o map[string]any) any { return o["version"] }
		bodies := map[string]map[string]any{
			"stories":           {"version": v(story), "title": "改"},
			"projects":          {"version": v(project), "name": "改"},
			"media":             {"version": v(media), "alt": "改"},
			"pages":             {"version": v(page), "slug": "yiqu-page", "title": "改", "body": "<p>改</p>"},
			"brands":            {"version": v(brand), "name": "改"},
			"dictionary":        {"version": v(term), "note": "改"},
			"users":             {"version": v(me), "name": "改", "role": "editor"},
			"interact/messages": {"version": v(message), "reason": "改", "reply": "改"},
			"sites":             {"version": v(siteB), "name": "改"},
		}
		objects := map[string]map[string]any{"stories": story, "projects": project, "media": media, "pages": page,
			"brands": brand, "dictionary": term, "interact/messages": message, "sites": siteB}

		raw, err := os.ReadFile("../web/openapi.json")
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Paths map[string]map[string]json.RawMessage `json:"paths"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		param := regexp.MustCompile(`\{([a-z_]+)\}`)
		walked := 0
		for _, p := range sortedKeys(doc.Paths) {
			for method := range doc.Paths[p] {
				method = strings.ToUpper(method)
				switch method {
				case "GET", "POST", "PUT", "PATCH", "DELETE":
				default:
					continue
				}
				if !strings.HasPrefix(p, "/api/v1/") || strings.HasPrefix(p, "/api/v1/content/") ||
					strings.HasPrefix(p, "/api/v1/auth/") || strings.HasPrefix(p, "/api/v1/beacon") || p == "/api/v1/openapi.json" {
					continue // public or account routes: checked by Host below
				}
				segs := strings.Split(strings.TrimPrefix(p, "/api/v1/"), "/")
				kind := segs[0]
				if kind == "interact" && len(segs) > 1 {
					kind = "interact/" + segs[1]
				}
				path := param.ReplaceAllStringFunc(p, func(m string) string {
					switch m {
					case "{id}":
						id, ok := ids[kind]
						if !ok {
							t.Fatalf("%s %s: no object of site B for %s; add one to the test", method, p, kind)
						}
						return fmt.Sprint(clitest.Num(id))
					case "{action}":
						return "approve"
					case "{version}":
						return "1"
					}
					t.Fatalf("%s %s: unknown parameter %s", method, p, m)
					return ""
				})
				body := any(map[string]any{})
				if m, ok := bodies[kind]; ok && (method == "PUT" || method == "PATCH" || kind == "interact/messages") && strings.Contains(p, "{id}") {
					body = m
				}
				if strings.HasSuffix(p, "/restore") {
					body = map[string]any{"version": v(story)}
				}
				hasID := strings.Contains(p, "{id}")
				walked++
				// Acting in A: B's object does not exist; a list shows none of B's.
				code, out := a.do(method, path, body)
				if hasID {
					if code != http.StatusNotFound && code != http.StatusForbidden {
						t.Errorf("site A admin %s %s: %d, want 404 or 403: %.200s", method, path, code, out)
					}
				} else if method == "GET" && bytes.Contains(out, []byte(marker)) {
					t.Errorf("site A admin GET %s shows site B's data: %.300s", path, out)
				}
				// Naming site B: no role there.
				if code, out := aInB.do(method, path, body); code != http.StatusForbidden {
					t.Errorf("site A admin in site B %s %s: %d, want 403: %.200s", method, path, code, out)
				}
			}
		}
		if walked < 50 {
			t.Errorf("walked %d management operations; openapi.json lists more", walked)
		}

		// Nothing of B changed.
		for kind, before := range objects {
			var after map[string]any
			if _, ok := doc.Paths["/api/v1/"+kind+"/{id}"]["get"]; ok {
				after = b.obj(200, "GET", fmt.Sprintf("/api/v1/%s/%d", kind, clitest.Num(ids[kind])), nil)
			} else {
				var list clitest.List[map[string]any]
				_, out := b.do("GET", "/api/v1/"+kind+"?per_page=100", nil)
				json.Unmarshal(out, &list)
				for _, it := range list.Items {
					if clitest.Num(it["id"]) == clitest.Num(ids[kind]) {
						after = it
					}
				}
				if after == nil {
					t.Errorf("site B's %s %v is gone: %.300s", kind, ids[kind], out)
					continue
				}
			}
			if after["version"] != before["version"] {
				t.Errorf("site B's %s changed: version %v → %v", kind, before["version"], after["version"])
			}
		}
		if got := b.obj(200, "GET", "/api/v1/highlights", nil); !strings.Contains(fmt.Sprint(got["items"]), fmt.Sprintf("id:%v ", highlight["id"])) {
			t.Errorf("site B's highlight %v is gone: %v", highlight["id"], got["items"])
		}
		if got := b.obj(200, "GET", "/api/v1/settings", nil); got["site_name"] != marker+"站" {
			t.Errorf("site B settings = %v", got["site_name"])
		}

		// Public routes answer by Host.
		slug := story["slug"].(string)
		pubA := siteClient{t: t, s: s}
		pubB := siteClient{t: t, s: s, host: "yiqu.example.test"}
		if code, out := pubB.do("GET", "/api/v1/content/stories/"+slug, nil); code != 200 || !bytes.Contains(out, []byte(marker)) {
			t.Errorf("content API on B's host: %d %.200s", code, out)
		}
		if code, _ := pubA.do("GET", "/api/v1/content/stories/"+slug, nil); code != 404 {
			t.Errorf("content API on A's host for B's story: %d, want 404", code)
		}
		for _, q := range []string{"/api/v1/content/stories?q=甲乙丙丁", "/api/v1/content/stories", "/api/v1/content/projects", "/api/v1/content/pages", "/api/v1/content/site"} {
			if _, out := pubA.do("GET", q, nil); bytes.Contains(out, []byte(marker)) || bytes.Contains(out, []byte("甲乙丙丁")) {
				t.Errorf("content API on A's host %s shows B's data: %.300s", q, out)
			}
		}
		if code, out := pubB.do("GET", "/api/v1/content/stories?q=甲乙丙丁", nil); code != 200 || !bytes.Contains(out, []byte(marker)) {
			t.Errorf("search on B's host: %d %.200s", code, out)
		}
		purl, _ := preview["url"].(string)
		if i := strings.Index(purl, "/preview/"); i >= 0 {
			if code, _ := pubA.do("GET", purl[i:], nil); code != 404 {
				t.Errorf("B's preview link on A's host: %d, want 404", code)
			}
			if code, _ := pubB.do("GET", purl[i:], nil); code != 200 {
				t.Errorf("B's preview link on B's host: %d, want 200", code)
			}
		} else {
			t.Errorf("preview answer without a link: %v", preview)
		}
		// Logging in on any host works; acting in a site needs a role there.
		if code, _ := a.do("GET", "/api/v1/auth/me", nil); code != 200 {
			t.Errorf("me: %d", code)
		}
	})
}
