package cli_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/cli"
	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/store/storetest"
)

// previousRelease is the last commit before many sites (issue 15): its
// databases have no sites table, no site_id, roles on the users row.
const previousRelease = "45c8110"

// TestUpgrade_PreviousRelease is acceptance 4 of issue 15: a demo database
// of the previous release upgrades in place with the same URLs, the same
// users and the same audit trail. The previous release's binary, built
// from git, creates the demo on a fresh data directory; an admin creates
// users, publishes a new story and edits a published one; everything a
// visitor or the staff could see is recorded. Then the current code serves
// the same data directory (and database) with the same command line and
// must answer alike. Nothing is left out of the comparison: the content
// API answers, every field the previous release gave a user and every
// audit event must be equal as JSON; the fields users gain (platform_admin,
// sites) are checked for what the upgrade must make of them.
func TestUpgrade_PreviousRelease(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the previous release from git: not in -short")
	}
	old := buildPreviousRelease(t)
	storetest.ForEachEmptyBackend(t, func(t *testing.T, dsn, _ string) {
		data := filepath.Join(t.TempDir(), "data")
		args := []string{"serve", "--addr", "127.0.0.1:0", "--data", data}
		if dsn != "" {
			args = append(args, "--db", dsn)
		}

		// The previous release: the demo, then some work of the staff.
		s := clitest.RunBinary(t, old, nil, args...)
		if s.Password == "" {
			t.Fatalf("the previous release printed no admin password:\n%s", s.Output())
		}
		password := s.Password
		u := &upgradeClient{t: t, s: s}
		u.token = s.Login(t, "admin", password)
		u.waitBuilds()
		u.staffWork()
		before := u.record(u.publicURLs(data))
		s.Stop(t)
		checkRecorded(t, before, u.slugs)

		// The current code on the same data directory and database.
		ns := clitest.MustRun(t, data, dsn, args)
		if strings.Contains(ns.Output(), "密码：") {
			t.Errorf("the upgrade created a new admin password:\n%s", ns.Output())
		}
		nu := &upgradeClient{t: t, s: ns}
		nu.token = ns.Login(t, "admin", password) // the old password still works
		nu.waitBuilds()
		nu.slugs = u.slugs
		after := nu.record(sortedKeys(before.pages))
		compareUpgrade(t, before, after)

		// The old admin runs the platform; the old editor still works in site 1.
		me := ns.Must(t, http.StatusOK, "GET", "/api/v1/auth/me", nu.token, nil)
		if !platformAdmin(me) {
			t.Errorf("the old admin is not a platform admin after the upgrade: %v", me)
		}
		editor := ns.Login(t, "bianji", upgradeEditorPassword)
		if code, l := ns.Call(t, "GET", "/api/v1/stories?per_page=5", editor, nil); code != http.StatusOK || clitest.Num(l["total"]) < 30 {
			t.Errorf("the old editor lists the stories of site 1: %d total=%v", code, l["total"])
		}
		ns.Stop(t)

		// The command line sees one site, "main", named after the old site.
		var out bytes.Buffer
		listArgs := []string{"site", "list", "--data", data}
		if dsn != "" {
			listArgs = append(listArgs, "--db", dsn)
		}
		if err := cli.Run(context.Background(), listArgs, func(string) string { return "" }, strings.NewReader(""), &out, io.Discard, clitest.Project(t)); err != nil {
			t.Fatalf("site list: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "1\tmain\t") || !strings.Contains(lines[0], before.siteName) {
			t.Errorf("site list after the upgrade: %q, want one site 1 main named %q", out.String(), before.siteName)
		}
	})
}

const upgradeEditorPassword = "Bianji-Qingxi-2026"

// platformAdmin reads platform_admin from /auth/me, whether the user is
// the answer or under "user".
func platformAdmin(me map[string]any) bool {
	if u, ok := me["user"].(map[string]any); ok {
		me = u
	}
	v, _ := me["platform_admin"].(bool)
	return v
}

// buildPreviousRelease compiles the huimin command as of previousRelease,
// from `git archive` of this repository, and returns its path. It skips
// the test when git or that commit is not there (a shallow clone, a
// source tarball). The release never changes, so the binary is kept in
// the user's cache directory (~/.cache/huimin) and built once.
func buildPreviousRelease(t *testing.T) string {
	t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git command: cannot build the previous release")
	}
	root := clitest.RepoRoot(t)
	if out, err := exec.Command(gitBin, "-C", root, "cat-file", "-e", previousRelease+"^{commit}").CombinedOutput(); err != nil {
		t.Skipf("commit %s (the previous release) is not in this repository: %v %s", previousRelease, err, out)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	kept := filepath.Join(cache, "huimin", "huimin-"+previousRelease)
	if fi, err := os.Stat(kept); err == nil && fi.Mode().IsRegular() {
		t.Logf("the previous release %s, built before: %s", previousRelease, kept)
		return kept
	}
	src := filepath.Join(t.TempDir(), "src")
	cmd := exec.Command(gitBin, "-C", root, "archive", "--format=tar", previousRelease)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("git archive: %v", err)
	}
	untarErr := untar(stdout, src)
	if err := errors.Join(cmd.Wait(), untarErr); err != nil {
		t.Fatalf("git archive %s: %v %s", previousRelease, err, stderr.String())
	}
	// Built next to where it is kept and renamed there: another test
	// process never runs half a binary.
	if err := os.MkdirAll(filepath.Dir(kept), 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(filepath.Dir(kept), fmt.Sprintf(".huimin-%s-%d", previousRelease, os.Getpid()))
	start := time.Now()
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build of %s: %v\n%s", previousRelease, err, out)
	}
	t.Logf("built the previous release %s in %s", previousRelease, time.Since(start).Round(time.Second))
	if err := os.Rename(bin, kept); err != nil {
		t.Fatal(err)
	}
	return kept
}

// untar writes the files of a tar stream under dir.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(name, dir+string(filepath.Separator)) {
			return fmt.Errorf("archive entry %q leaves the directory", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(name, 0o755)
		case tar.TypeReg:
			err = writeFile(name, tr, fs.FileMode(h.Mode).Perm())
		case tar.TypeSymlink:
			if err = os.MkdirAll(filepath.Dir(name), 0o755); err == nil {
				err = os.Symlink(h.Linkname, name)
			}
		}
		if err != nil {
			return err
		}
	}
}

func writeFile(name string, r io.Reader, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode|0o200)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return errors.Join(err, f.Close())
}

// upgradeClient records what one server answers.
type upgradeClient struct {
	t     *testing.T
	s     *clitest.Server
	token string
	// slugs are the stories whose content API answers are compared: two
	// demo stories, the one edited and the one published before the
	// upgrade.
	slugs []string
}

// upgradeRecord is what a visitor and the staff see of one installation.
type upgradeRecord struct {
	siteName string
	pages    map[string]pageSeen // URL path → what it answered
	sitemap  []string            // the URL paths the sitemaps list
	content  map[string]any      // content API path → decoded answer
	users    []map[string]any
	audit    []map[string]any
}

type pageSeen struct {
	Status int
	Title  string
}

func (u *upgradeClient) call(method, p string, body any, want int) map[string]any {
	u.t.Helper()
	return u.s.Must(u.t, want, method, p, u.token, body)
}

// waitBuilds waits until no build is queued or running.
func (u *upgradeClient) waitBuilds() {
	u.t.Helper()
	clitest.Poll(u.t, 5*time.Minute, func() (bool, string) {
		busy := ""
		for _, b := range items(u.call("GET", "/api/v1/builds?per_page=100", nil, http.StatusOK)) {
			if st := b["status"]; st == "queued" || st == "running" {
				busy = fmt.Sprintf("build %v is %v", b["id"], st)
			}
		}
		return busy == "", "builds never finished: " + busy
	})
}

func items(l map[string]any) []map[string]any {
	raw, _ := l["items"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, it := range raw {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// staffWork is what the audit trail and the public site remember of the
// staff using the previous release: two users created, a story written
// and published, a published story edited and published again, a draft by
// the new editor.
func (u *upgradeClient) staffWork() {
	u.t.Helper()
	u.call("POST", "/api/v1/users", map[string]any{
		"username": "bianji", "name": "王编辑", "role": "editor", "password": upgradeEditorPassword,
	}, http.StatusCreated)
	u.call("POST", "/api/v1/users", map[string]any{
		"username": "fushen", "name": "李复审", "role": "reviewer", "level": 2, "password": "Fushen-Qingxi-2026",
	}, http.StatusCreated)

	projects := items(u.call("GET", "/api/v1/projects?per_page=1", nil, http.StatusOK))
	if len(projects) == 0 {
		u.t.Fatal("the demo has no project")
	}
	st := u.call("POST", "/api/v1/stories", map[string]any{
		"title": "升级前发布：社区食堂开进老小区", "summary": "老小区的老人在家门口吃上热饭",
		"project_id": projects[0]["id"], "tags": []string{"助餐", "升级测试"},
		"body": "<p>社区食堂在老小区开业，七十岁以上老人就餐享受优惠。</p>", "author": "宣传科",
	}, http.StatusCreated)
	pub := u.s.Act(u.t, u.token, clitest.Num(st["id"]), "publish", nil, http.StatusOK)
	u.s.WaitBuilt(u.t, u.token, pub["build_id"])
	newSlug := path.Base(strings.TrimSuffix(pub["url"].(string), "/"))

	demo := items(u.call("GET", "/api/v1/content/stories?per_page=3", nil, http.StatusOK))
	if len(demo) < 3 {
		u.t.Fatalf("the demo has %d published stories, want ≥ 3", len(demo))
	}
	edited := demo[1]
	id := clitest.Num(edited["id"])
	cur := u.call("GET", clitest.StoryPath(id, ""), nil, http.StatusOK)
	u.call("PATCH", clitest.StoryPath(id, ""), map[string]any{
		"version": cur["version"], "title": edited["title"].(string) + "（升级前修订）",
	}, http.StatusOK)
	pub = u.s.Act(u.t, u.token, id, "publish", nil, http.StatusOK)
	u.s.WaitBuilt(u.t, u.token, pub["build_id"])

	editor := u.s.Login(u.t, "bianji", upgradeEditorPassword)
	if code, out := u.s.Call(u.t, "POST", "/api/v1/stories", editor, map[string]any{
		"title": "升级前的草稿：银龄互助结对", "summary": "低龄老人帮高龄老人", "project_id": projects[0]["id"],
		"body": "<p>草稿，尚未送审。</p>",
	}); code != http.StatusCreated {
		u.t.Fatalf("the editor's draft: %d %v", code, out)
	}
	u.waitBuilds()
	u.slugs = []string{demo[0]["slug"].(string), edited["slug"].(string), demo[2]["slug"].(string), newSlug}
}

// publicURLs lists the URL paths of the previous release's site: every
// file of its live build in data (the current code may lay its builds out
// otherwise; it is asked for the same URLs), and what the program serves
// itself: short links, the interaction pages, a page that does not exist.
func (u *upgradeClient) publicURLs(data string) []string {
	u.t.Helper()
	urls := liveBuildURLs(u.t, filepath.Join(data, "site", "current"))
	if len(urls) < 100 {
		u.t.Fatalf("the previous release's live build has %d files, want the demo's 100 and more", len(urls))
	}
	for _, p := range u.sitemap("/sitemap.xml") {
		if !slices.Contains(urls, p) {
			u.t.Errorf("sitemap URL %s is not a file of the live build", p)
		}
	}
	urls = append(urls, "/interact/replies/", "/interact/results/", "/stories/no-such-story/")
	for _, slug := range u.slugs {
		st := u.call("GET", "/api/v1/content/stories/"+slug, nil, http.StatusOK)
		urls = append(urls, st["short_url"].(string))
	}
	return urls
}

// record fetches everything compared across the upgrade: the public URLs
// urls, the sitemap, the content API, the users and the audit trail.
func (u *upgradeClient) record(urls []string) *upgradeRecord {
	u.t.Helper()
	r := &upgradeRecord{pages: map[string]pageSeen{}, content: map[string]any{}}
	site := u.call("GET", "/api/v1/content/site", nil, http.StatusOK)
	r.siteName, _ = site["site_name"].(string)
	r.sitemap = u.sitemap("/sitemap.xml")
	for _, p := range urls {
		r.pages[p] = u.page(p)
	}

	paths := []string{"/api/v1/content/site", "/api/v1/content/stories?per_page=100", "/api/v1/content/projects",
		"/api/v1/content/tags", "/api/v1/content/pages"}
	for _, slug := range u.slugs {
		paths = append(paths, "/api/v1/content/stories/"+slug)
	}
	for _, p := range items(u.call("GET", "/api/v1/content/projects", nil, http.StatusOK))[:2] {
		paths = append(paths, "/api/v1/content/projects/"+p["slug"].(string))
	}
	for _, p := range paths {
		r.content[p] = u.call("GET", p, nil, http.StatusOK)
	}

	r.users = items(u.call("GET", "/api/v1/users", nil, http.StatusOK))
	for page := 1; ; page++ {
		l := u.call("GET", fmt.Sprintf("/api/v1/audit?per_page=100&page=%d", page), nil, http.StatusOK)
		got := items(l)
		r.audit = append(r.audit, got...)
		if len(got) == 0 || len(r.audit) >= clitest.Num(l["total"]) {
			break
		}
	}
	return r
}

var titleTag = regexp.MustCompile(`(?s)<title>(.*?)</title>`)

// page fetches p without following redirects.
func (u *upgradeClient) page(p string) pageSeen {
	u.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(u.s.URL + p)
	if err != nil {
		u.t.Fatalf("GET %s: %v", p, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	seen := pageSeen{Status: resp.StatusCode}
	if m := titleTag.FindSubmatch(body); m != nil && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		seen.Title = html.UnescapeString(strings.TrimSpace(string(m[1])))
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		seen.Title = "→ " + resp.Header.Get("Location")
	}
	return seen
}

var locTag = regexp.MustCompile(`<loc>([^<]+)</loc>`)

// sitemap returns the URL paths a sitemap lists, following a sitemap index
// to its sitemaps.
func (u *upgradeClient) sitemap(p string) []string {
	u.t.Helper()
	code, body := u.s.Get(u.t, p)
	if code != http.StatusOK {
		u.t.Fatalf("GET %s: %d", p, code)
	}
	var out []string
	for _, m := range locTag.FindAllStringSubmatch(body, -1) {
		loc, err := url.Parse(html.UnescapeString(m[1]))
		if err != nil {
			u.t.Fatalf("%s: bad <loc> %q: %v", p, m[1], err)
		}
		if strings.Contains(body, "<sitemapindex") {
			out = append(out, u.sitemap(loc.EscapedPath())...)
			continue
		}
		out = append(out, loc.EscapedPath())
	}
	if len(out) == 0 {
		u.t.Fatalf("%s lists no URL", p)
	}
	slices.Sort(out)
	return out
}

// liveBuildURLs lists the URL paths of every file of a build directory,
// a directory's index.html as the directory.
func liveBuildURLs(t *testing.T, dir string) []string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatalf("the previous release's live build: %v", err)
	}
	var out []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = "/" + filepath.ToSlash(rel)
		if path.Base(rel) == "index.html" {
			rel = strings.TrimSuffix(rel, "index.html")
		}
		out = append(out, (&url.URL{Path: rel}).EscapedPath())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// checkRecorded makes sure the record of the previous release holds what
// the comparison relies on: the sitemap's URLs answered 200, the stories
// compared are on their pages (the edit and the new story among them),
// the staff's work is in the users list and the audit trail.
func checkRecorded(t *testing.T, r *upgradeRecord, slugs []string) {
	t.Helper()
	statuses := map[int]int{}
	for _, p := range r.pages {
		statuses[p.Status]++
	}
	t.Logf("previous release: %d public URLs (by status %v), %d in the sitemap, %d content answers, %d users, %d audit events",
		len(r.pages), statuses, len(r.sitemap), len(r.content), len(r.users), len(r.audit))
	for _, p := range r.sitemap {
		if seen, ok := r.pages[p]; !ok || seen.Status != http.StatusOK || seen.Title == "" {
			t.Errorf("previous release: sitemap URL %s answered %+v", p, seen)
		}
	}
	for _, slug := range slugs {
		st, _ := r.content["/api/v1/content/stories/"+slug].(map[string]any)
		title, _ := st["title"].(string)
		if page := r.pages[fmt.Sprint(st["url"])]; title == "" || !strings.Contains(page.Title, title) {
			t.Errorf("previous release: story %s (%q) has page %v %+v", slug, title, st["url"], page)
		}
	}
	if !strings.HasSuffix(fmt.Sprint(r.content["/api/v1/content/stories/"+slugs[1]].(map[string]any)["title"]), "（升级前修订）") {
		t.Errorf("previous release: the edit of %s is not live", slugs[1])
	}
	if len(r.users) != 3 {
		t.Errorf("previous release: %d users, want admin and the two created", len(r.users))
	}
	actions := map[string]bool{}
	for _, e := range r.audit {
		actions[fmt.Sprint(e["action"])] = true
	}
	for _, a := range []string{"user.create", "user.login", "story.create", "story.update", "story.publish"} {
		if !actions[a] {
			t.Errorf("previous release: no %s in the audit trail (actions %v)", a, sortedKeys(actions))
		}
	}
}

// compareUpgrade checks that after answers as before did.
func compareUpgrade(t *testing.T, before, after *upgradeRecord) {
	t.Helper()
	if after.siteName != before.siteName {
		t.Errorf("site name %q after the upgrade, was %q", after.siteName, before.siteName)
	}
	if !slices.Equal(after.sitemap, before.sitemap) {
		t.Errorf("the sitemap changed: %d URLs, was %d\nonly before: %v\nonly after: %v", len(after.sitemap), len(before.sitemap),
			minus(before.sitemap, after.sitemap), minus(after.sitemap, before.sitemap))
	}
	bad := 0
	for _, p := range sortedKeys(before.pages) {
		was, now := before.pages[p], after.pages[p]
		if now != was {
			if bad++; bad <= 20 {
				t.Errorf("%s: %d %q after the upgrade, was %d %q", p, now.Status, now.Title, was.Status, was.Title)
			}
		}
	}
	if bad > 20 {
		t.Errorf("… %d URLs answer otherwise in all", bad)
	}
	for _, p := range sortedKeys(before.content) {
		if !reflect.DeepEqual(after.content[p], before.content[p]) {
			t.Errorf("content API %s changed:\n%s", p, jsonDiff(before.content[p], after.content[p], ""))
		}
	}

	// Users: the same, with their role as a role in site 1; the admins
	// are platform admins.
	if len(after.users) != len(before.users) {
		t.Errorf("%d users after the upgrade, were %d", len(after.users), len(before.users))
	}
	for _, was := range before.users {
		now := findByID(after.users, was["id"])
		if now == nil {
			t.Errorf("user %v (%v) is gone", was["id"], was["username"])
			continue
		}
		for k, v := range was {
			if !reflect.DeepEqual(now[k], v) {
				t.Errorf("user %v: %s is %v, was %v", was["username"], k, now[k], v)
			}
		}
		wantSite := map[string]any{"site_id": float64(1), "role": was["role"]}
		if lv, _ := was["level"].(float64); lv != 0 {
			wantSite["level"] = lv
		}
		if !reflect.DeepEqual(now["sites"], []any{wantSite}) {
			t.Errorf("user %v: sites %v, want %v", was["username"], now["sites"], []any{wantSite})
		}
		if got, want := now["platform_admin"], was["role"] == "admin"; got != want {
			t.Errorf("user %v (role %v): platform_admin %v, want %v", was["username"], was["role"], got, want)
		}
	}

	// The audit trail: every old event unchanged, new ones after them.
	if len(after.audit) < len(before.audit) {
		t.Errorf("%d audit events after the upgrade, were %d", len(after.audit), len(before.audit))
	}
	for i, was := range before.audit {
		if i >= len(after.audit) {
			break
		}
		if !reflect.DeepEqual(after.audit[i], was) {
			t.Errorf("audit event %d changed:\n%s", i+1, jsonDiff(was, after.audit[i], ""))
		}
	}
}

func minus(a, b []string) []string {
	return slices.DeleteFunc(slices.Clone(a), func(s string) bool { return slices.Contains(b, s) })
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func findByID(list []map[string]any, id any) map[string]any {
	for _, m := range list {
		if m["id"] == id {
			return m
		}
	}
	return nil
}

// jsonDiff lists where two decoded JSON values differ, one line per path.
func jsonDiff(a, b any, at string) string {
	if reflect.DeepEqual(a, b) {
		return ""
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		var out strings.Builder
		keys := sortedKeys(av)
		for k := range bv {
			if _, ok := av[k]; !ok {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			out.WriteString(jsonDiff(av[k], bv[k], at+"."+k))
		}
		return out.String()
	case []any:
		bv, ok := b.([]any)
		if !ok || len(bv) != len(av) {
			break
		}
		var out strings.Builder
		for i := range av {
			out.WriteString(jsonDiff(av[i], bv[i], fmt.Sprintf("%s[%d]", at, i)))
		}
		return out.String()
	}
	return fmt.Sprintf("  %s: %.200v → %.200v\n", at, a, b)
}
