package cli_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/store/storetest"
)

// Acceptance tests of issue 3, the editorial workflow, end to end through
// `huimin serve` on SQLite and MySQL.

// staff creates the users of a three-stage newsroom and returns their tokens.
func staff(t *testing.T, s *clitest.Server, admin string) map[string]string {
	t.Helper()
	tokens := map[string]string{"admin": admin}
	for _, u := range []struct {
		username, name, role string
		level                int
	}{
		{"editor", "宣传干事小王", "editor", 0},
		{"r1", "初审老李", "reviewer", 1},
		{"r2", "复审张科长", "reviewer", 2},
		{"r3", "终审刘局长", "reviewer", 3},
	} {
		code, out := s.Call(t, "POST", "/api/v1/users", admin, map[string]any{
			"username": u.username, "name": u.name, "role": u.role, "level": u.level, "password": "password-" + u.username,
		})

		if code != http.StatusCreated || clitest.Num(out["level"]) != u.level {
			t.Fatalf("create user %s: %d %v", u.username, code, out)
		}
		tokens[u.username] = s.Login(t, u.username, "password-"+u.username)
	}
	return tokens
}

// signOffs lists the sign-offs of story id.
func signOffs(t *testing.T, s *clitest.Server, token string, id int) []cms.SignOff {
	t.Helper()
	return clitest.GetList[cms.SignOff](t, s, clitest.StoryPath(id, "/signoffs"), token).Items
}

// audit lists the audit events the query selects.
func audit(t *testing.T, s *clitest.Server, token, query string) clitest.List[cms.AuditEvent] {
	t.Helper()
	return clitest.GetList[cms.AuditEvent](t, s, "/api/v1/audit?"+query, token)
}

// inbox is the review inbox of the user of token.
func inbox(t *testing.T, s *clitest.Server, token string) cms.Inbox {
	t.Helper()
	var in cms.Inbox
	if code := s.CallJSON(t, "GET", "/api/v1/review/inbox", token, nil, &in); code != http.StatusOK {
		t.Fatalf("inbox: %d", code)
	}
	return in
}

func errMessage(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

func TestWorkflow_Acceptance(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		s := clitest.MustRunServe(t, dsn, "--demo=false")
		tk := staff(t, s, s.Login(t, "admin", s.Password))

		// Roles: only admins manage users; the site has three review stages.
		if code, _ := s.Call(t, "GET", "/api/v1/users", tk["editor"], nil); code != http.StatusForbidden {
			t.Errorf("editor lists users: %d, want 403", code)
		}
		if code, set := s.Call(t, "GET", "/api/v1/settings", tk["admin"], nil); code != 200 || clitest.Num(set["review_stages"]) != 3 {
			t.Errorf("settings: %d review_stages %v, want 3", code, set["review_stages"])
		}
		p := s.Must(t, http.StatusCreated, "POST", "/api/v1/projects", tk["admin"], map[string]any{
			"name": "幸福起航", "slug": "xingfu", "kind": "window", "area": "marriage", "summary": "颁证服务"})

		// 1. Editor writes and submits; only the right stage may approve;
		// 初审 → 复审 → 终审; the 终审 reviewer publishes; the page goes live.
		st := s.Must(t, http.StatusCreated, "POST", "/api/v1/stories", tk["editor"], map[string]any{
			"title": "婚姻登记处举办集体颁证仪式", "summary": "七夕集体颁证",
			"body": "<p>七夕当天，区婚姻登记处为30对新人举办集体颁证仪式。</p>", "project_id": p["id"]})
		id := clitest.Num(st["id"])
		sub := s.Act(t, tk["editor"], id, "submit", nil, 200)
		if sub["status"] != "in_review" || clitest.Num(sub["review_stage"]) != 1 {
			t.Fatalf("after submit: %v", sub)
		}
		if out := s.Act(t, tk["editor"], id, "approve", nil, 403); !strings.Contains(errMessage(out), "初审") {
			t.Errorf("editor approve: message %q does not say who may act", errMessage(out))
		}
		if out := s.Act(t, tk["editor"], id, "publish", nil, 403); !strings.Contains(errMessage(out), "终审") {
			t.Errorf("editor publish: message %q does not say who may act", errMessage(out))
		}
		if out := s.Act(t, tk["r2"], id, "approve", nil, 403); !strings.Contains(errMessage(out), "初审") {
			t.Errorf("复审 approving 初审: message %q", errMessage(out))
		}
		if in := inbox(t, s, tk["r1"]); in.Total != 1 || in.Stages[0].Count != 1 {
			t.Errorf("初审 inbox: %+v", in)
		}
		if in := inbox(t, s, tk["r2"]); in.Total != 0 {
			t.Errorf("复审 inbox before 初审: %+v", in)
		}
		if out := s.Act(t, tk["r1"], id, "approve", map[string]any{"comment": "文字无误"}, 200); clitest.Num(out["review_stage"]) != 2 {
			t.Fatalf("after 初审: %v", out)
		}
		if out := s.Act(t, tk["r3"], id, "approve", nil, 403); !strings.Contains(errMessage(out), "复审") {
			t.Errorf("终审 approving 复审: message %q", errMessage(out))
		}
		s.Act(t, tk["r2"], id, "approve", map[string]any{"comment": "数据已核实"}, 200)
		if out := s.Act(t, tk["r3"], id, "approve", map[string]any{"comment": "同意发布"}, 200); out["status"] != "approved" {
			t.Fatalf("after 终审: %v", out)
		}
		s.Act(t, tk["r1"], id, "publish", nil, 403)
		pub := s.Act(t, tk["r3"], id, "publish", nil, 200)
		if pub["status"] != "published" {
			t.Fatalf("publish: %v", pub)
		}
		s.WaitBuild(t, tk["admin"], pub["build_id"])
		url := pub["url"].(string)
		if code, page := s.Get(t, url); code != 200 || !strings.Contains(page, "婚姻登记处举办集体颁证仪式") {
			t.Fatalf("published page %s: %d", url, code)
		}
		var signers []string
		for _, x := range signOffs(t, s, tk["editor"], id) {
			signers = append(signers, fmt.Sprintf("%s:%s:%d", x.Action, x.ActorName, x.Stage))
		}
		if got, want := strings.Join(signers, ","), "submit:宣传干事小王:0,approve:初审老李:1,approve:复审张科长:2,approve:终审刘局长:3,publish:终审刘局长:0"; got != want {
			t.Errorf("sign-off record:\n got %s\nwant %s", got, want)
		}

		// 2. Reject needs a comment; with one the story is back in draft.
		_, st2 := s.Call(t, "POST", "/api/v1/stories", tk["editor"], map[string]any{
			"title": "银龄互助志愿者招募", "body": "<p>招募志愿者。</p>", "project_id": p["id"]})

		id2 := clitest.Num(st2["id"])
		s.Act(t, tk["editor"], id2, "submit", nil, 200)
		if code, out := s.Call(t, "POST", clitest.StoryPath(id2, "/actions/reject"), tk["r1"], nil); code/100 != 4 || clitest.Fields(out)["comment"] == nil {
			t.Errorf("reject without comment: %d %v", code, out)
		}
		if out := s.Act(t, tk["r1"], id2, "reject", map[string]any{"comment": "请补充招募条件"}, 200); out["status"] != "draft" {
			t.Errorf("after reject: %v", out)
		}
		so := signOffs(t, s, tk["editor"], id2)
		if last := so[len(so)-1]; last.Action != "reject" || last.Comment != "请补充招募条件" || last.ActorName != "初审老李" {
			t.Errorf("reject sign-off: %+v", last)
		}
		if in := inbox(t, s, tk["editor"]); in.Total != 1 {
			t.Errorf("editor inbox after reject: %+v", in)
		}

		// 3. An edit to the live story: stale → 409; current → a revision;
		// the public page keeps the approved version until it passes review.
		code, ed := s.Call(t, "PATCH", clitest.StoryPath(id, ""), tk["editor"], map[string]any{
			"version": pub["version"], "title": "婚姻登记处举办七夕集体颁证仪式",
			"body": "<p>七夕当天，区婚姻登记处为32对新人举办集体颁证仪式。</p>"})

		if code != 200 || ed["status"] != "draft" || clitest.Num(ed["live_version"]) != clitest.Num(pub["version"]) {
			t.Fatalf("edit of live story: %d %v", code, ed)
		}
		// A second editor who loaded the same version is now stale.
		code, out := s.Call(t, "PATCH", clitest.StoryPath(id, ""), tk["admin"], map[string]any{"version": pub["version"], "title": "过期的修改"})
		if code != http.StatusConflict || clitest.Num(out["error"].(map[string]any)["current_version"]) != clitest.Num(ed["version"]) {
			t.Fatalf("stale edit: %d %v", code, out)
		}
		_, diff := s.Call(t, "GET", clitest.StoryPath(id, fmt.Sprintf("/diff?from=%d&to=%d", clitest.Num(pub["version"]), clitest.Num(ed["version"]))), tk["r1"], nil)
		if !strings.Contains(fmt.Sprint(diff["fields"]), "32") || !strings.Contains(fmt.Sprint(diff["fields"]), "insert") {
			t.Errorf("diff does not show the change: %v", diff)
		}
		_, prev := s.Call(t, "POST", clitest.StoryPath(id, "/preview"), tk["editor"], nil)
		checkPreview(t, s, prev, "婚姻登记处举办七夕集体颁证仪式")
		s.Act(t, tk["editor"], id, "submit", nil, 200)
		s.Act(t, tk["r1"], id, "approve", nil, 200)
		s.Act(t, tk["r2"], id, "approve", nil, 200)
		s.Act(t, tk["r3"], id, "approve", nil, 200)
		_, b := s.Call(t, "POST", "/api/v1/builds", tk["admin"], nil)
		s.WaitBuild(t, tk["admin"], b["id"])
		if _, page := s.Get(t, url); strings.Contains(page, "七夕集体颁证仪式") || !strings.Contains(page, "30对新人") {
			t.Errorf("public page changed before the revision was published")
		}
		if _, c := s.Call(t, "GET", "/api/v1/content/stories/"+pub["slug"].(string), "", nil); c["title"] != "婚姻登记处举办集体颁证仪式" {
			t.Errorf("content API changed before publication: %v", c["title"])
		}
		pub2 := s.Act(t, tk["r3"], id, "publish", nil, 200)
		s.WaitBuild(t, tk["admin"], pub2["build_id"])
		if _, page := s.Get(t, url); !strings.Contains(page, "32对新人") {
			t.Errorf("public page lacks the published revision")
		}

		// Restore an old version as a new draft; stale version → 409.
		if code, _ := s.Call(t, "POST", clitest.StoryPath(id, "/revisions/1/restore"), tk["editor"], map[string]any{"version": 1}); code != http.StatusConflict {
			t.Errorf("stale restore: %d, want 409", code)
		}
		code, rs := s.Call(t, "POST", clitest.StoryPath(id, "/revisions/1/restore"), tk["editor"], map[string]any{"version": pub2["version"]})
		if code != 200 || rs["title"] != "婚姻登记处举办集体颁证仪式" || rs["status"] != "draft" || clitest.Num(rs["version"]) != clitest.Num(pub2["version"])+1 {
			t.Errorf("restore: %d %v", code, rs)
		}

		// The dictionary: every member of staff reads it, admins edit it.
		if code, d := s.Call(t, "GET", "/api/v1/dictionary", tk["editor"], nil); code != 200 || clitest.Num(d["total"]) < 12 {
			t.Errorf("dictionary for an editor: %d %v", code, d["total"])
		}
		term := map[string]any{"term": "青溪区民证局", "kind": "error", "severity": "serious", "suggestion": "青溪区民政局"}
		if code, _ := s.Call(t, "POST", "/api/v1/dictionary", tk["editor"], term); code != http.StatusForbidden {
			t.Errorf("editor adds a term: %d, want 403", code)
		}
		if code, out := s.Call(t, "POST", "/api/v1/dictionary", tk["admin"], term); code != http.StatusCreated {
			t.Errorf("admin adds a term: %d %v", code, out)
		}

		// 4. A serious dictionary error cannot pass 终审 without an override;
		// the hit's position and suggestion are returned.
		_, st3 := s.Call(t, "POST", "/api/v1/stories", tk["editor"], map[string]any{
			"title": "区民政局优化服务", "body": "<p>区婚烟登记处延长服务时间。</p>", "project_id": p["id"]})

		id3 := clitest.Num(st3["id"])
		_, chk := s.Call(t, "GET", clitest.StoryPath(id3, "/check"), tk["editor"], nil)
		if clitest.Num(chk["serious"]) != 1 {
			t.Errorf("check: %v", chk)
		}
		sub3 := s.Act(t, tk["editor"], id3, "submit", nil, 200)
		warn, _ := sub3["warnings"].([]any)
		if len(warn) != 1 || warn[0].(map[string]any)["suggestion"] != "婚姻登记" {
			t.Errorf("submit warnings: %v", sub3["warnings"])
		}
		s.Act(t, tk["r1"], id3, "approve", nil, 200)
		s.Act(t, tk["r2"], id3, "approve", nil, 200)
		blocked := s.Act(t, tk["r3"], id3, "approve", map[string]any{"comment": "同意"}, http.StatusUnprocessableEntity)
		e := blocked["error"].(map[string]any)
		hits := e["details"].(map[string]any)["hits"].([]any)
		hit := hits[0].(map[string]any)
		if hit["field"] != "body" || clitest.Num(hit["position"]) != 1 || hit["term"] != "婚烟登记" || hit["suggestion"] != "婚姻登记" || hit["severity"] != "serious" {
			t.Errorf("blocking hit: %v", hit)
		}
		if e["fields"].(map[string]any)["override"] == nil {
			t.Errorf("error does not name the override field: %v", e)
		}
		s.Act(t, tk["r3"], id3, "approve", map[string]any{"comment": "同意", "override": "引用群众来信原文，保留原貌"}, 200)

		// 6. The audit log names every actor, in order; editors get 403;
		// no API alters it.
		var trail []string
		for _, x := range audit(t, s, tk["admin"], fmt.Sprintf("object=story:%d&per_page=100", id)).Items {
			trail = append(trail, x.Action+":"+x.ActorName)
		}
		want := "story.create:宣传干事小王,story.submit:宣传干事小王,story.approve:初审老李,story.approve:复审张科长," +
			"story.approve:终审刘局长,story.publish:终审刘局长,story.update:宣传干事小王,story.submit:宣传干事小王," +
			"story.approve:初审老李,story.approve:复审张科长,story.approve:终审刘局长,story.publish:终审刘局长,story.restore:宣传干事小王"
		if got := strings.Join(trail, ","); got != want {
			t.Errorf("audit trail of story %d:\n got %s\nwant %s", id, got, want)
		}
		approvals := audit(t, s, tk["admin"], fmt.Sprintf("object=story:%d&action=story.approve", id3)).Items
		if d := approvals[len(approvals)-1].Detail; !strings.Contains(d, "引用群众来信原文") {
			t.Errorf("override reason not in the audit trail: %q", d)
		}
		if n := audit(t, s, tk["admin"], "action=user.create").Total; n != 5 { // the first admin, then four by the admin
			t.Errorf("user.create events: %d", n)
		}
		// Changes to settings, projects, the dictionary and builds are there too.
		_, set := s.Call(t, "GET", "/api/v1/settings", tk["admin"], nil)
		if code, out := s.Call(t, "PATCH", "/api/v1/settings", tk["admin"], map[string]any{"version": set["version"], "organizer": "青溪区民政局", "review_stages": 2}); code != 200 {
			t.Fatalf("settings update: %d %v", code, out)
		}
		// With two stages 复审 is final: it approves last and publishes.
		_, st4 := s.Call(t, "POST", "/api/v1/stories", tk["editor"], map[string]any{"title": "两级审核的稿件", "project_id": p["id"]})
		id4 := clitest.Num(st4["id"])
		s.Act(t, tk["editor"], id4, "submit", nil, 200)
		s.Act(t, tk["r1"], id4, "approve", nil, 200)
		if out := s.Act(t, tk["r2"], id4, "approve", nil, 200); out["status"] != "approved" {
			t.Errorf("复审 approval on a two-stage site: %v", out["status"])
		}
		if out := s.Act(t, tk["r3"], id4, "publish", nil, 403); !strings.Contains(errMessage(out), "复审") {
			t.Errorf("终审 reviewer publishing on a two-stage site: %q", errMessage(out))
		}
		s.Act(t, tk["r2"], id4, "publish", nil, 200)
		for _, a := range []string{"settings.update", "project.create", "dictionary.create", "user.create"} {
			items := audit(t, s, tk["admin"], "action="+a).Items
			if len(items) == 0 || items[len(items)-1].ActorName != "管理员" {
				t.Errorf("%s not recorded with its actor: %+v", a, items)
			}
		}
		if n := audit(t, s, tk["admin"], "action=build.create").Total; n < 3 {
			t.Errorf("build.create events: %d", n)
		}
		for _, who := range []string{"editor", "r3"} {
			if code, _ := s.Call(t, "GET", "/api/v1/audit", tk[who], nil); code != http.StatusForbidden {
				t.Errorf("%s reads the audit log: %d, want 403", who, code)
			}
		}
		for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
			for _, path := range []string{"/api/v1/audit", "/api/v1/audit/1"} {
				if code, _ := s.Call(t, m, path, tk["admin"], map[string]any{}); code < 400 {
					t.Errorf("%s %s: %d, the audit log must not be alterable", m, path, code)
				}
			}
		}
	})
}

// checkPreview opens a preview link and checks it renders with the theme,
// is kept out of search engines, and is useless without a valid token.
func checkPreview(t *testing.T, s *clitest.Server, prev map[string]any, title string) {
	t.Helper()
	link, _ := prev["url"].(string)
	if !strings.HasPrefix(link, "/preview/") {
		t.Fatalf("preview link: %v", prev)
	}
	resp, raw := clitest.Send(t, nil, clitest.Request(t, "GET", s.URL+link, "", nil))
	page := string(raw)
	if resp.StatusCode != 200 || !strings.Contains(page, title) {
		t.Fatalf("preview: %d %.300s", resp.StatusCode, page)
	}
	if !strings.Contains(resp.Header.Get("X-Robots-Tag"), "noindex") || !strings.Contains(page, `<meta name="robots" content="noindex`) {
		t.Errorf("preview is not noindex: %v", resp.Header)
	}
	if !strings.Contains(page, `class="prose"`) || !strings.Contains(page, "<style>") {
		t.Errorf("preview not rendered with the theme")
	}
	for _, bad := range []string{link[:len(link)-2] + "xx", "/preview/1.1.99999999999.AAAA", "/preview/"} {
		if code, _ := s.Get(t, bad); code != http.StatusNotFound {
			t.Errorf("preview %s: %d, want 404", bad, code)
		}
	}
}

// TestWorkflow_Schedule is acceptance 5: a story scheduled ahead goes live
// on time, also when the server was stopped across that time and started
// again after.
func TestWorkflow_Schedule(t *testing.T) {
	t.Parallel()
	storetest.ForEachBackend(t, func(t *testing.T, dsn, _ string) {
		data := t.TempDir()
		args := []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--db", dsn, "--demo=false"}
		s := clitest.MustRun(t, data, dsn, args)
		admin := s.Login(t, "admin", s.Password)
		_, p := s.Call(t, "POST", "/api/v1/projects", admin, map[string]any{"name": "殡葬一米亲情", "slug": "yimi", "kind": "window", "area": "funeral"})
		schedule := func(title string, at time.Time) map[string]any {
			t.Helper()
			st := s.Must(t, http.StatusCreated, "POST", "/api/v1/stories", admin, map[string]any{
				"title": title, "body": "<p>" + title + "。</p>", "project_id": p["id"], "publish_at": at.Format(time.RFC3339Nano)})
			out := s.Act(t, admin, clitest.Num(st["id"]), "publish", nil, 200)
			if out["status"] != "scheduled" || clitest.Num(out["live_version"]) != 0 {
				t.Fatalf("publish with publish_at ahead: %v", out)
			}
			return out
		}
		live := func(s *clitest.Server, st map[string]any) bool {
			code, _ := s.Call(t, "GET", "/api/v1/content/stories/"+st["slug"].(string), "", nil)
			return code == 200
		}

		// While the server runs.
		atA := time.Now().Add(3 * time.Second)
		a := schedule("清明节文明祭扫服务", atA)
		if live(s, a) {
			t.Fatalf("scheduled story live before its time")
		}
		clitest.Poll(t, time.Until(atA.Add(30*time.Second)), func() (bool, string) {
			return live(s, a), "story A not live 30 s after publish_at"
		})
		if wentLive := time.Now(); wentLive.Before(atA) {
			t.Errorf("story A went live at %v, before %v", wentLive, atA)
		}
		s.WaitPage(t, a["url"].(string), "清明节文明祭扫服务", time.Minute)

		// Across a stop: scheduled, server stopped, time passes, restarted.
		atB := time.Now().Add(3 * time.Second)
		b := schedule("冬至节气殡葬服务提示", atB)
		s.Stop(t)
		time.Sleep(time.Until(atB) + time.Second)
		s2 := clitest.MustRun(t, data, dsn, args)
		if !live(s2, b) {
			t.Fatalf("story B not live right after restart")
		}
		if code, page := s2.Get(t, b["url"].(string)); code != 200 || !strings.Contains(page, "冬至节气殡葬服务提示") {
			t.Errorf("story B page after restart: %d", code)
		}
		so := signOffs(t, s2, admin, clitest.Num(b["id"]))
		if last := so[len(so)-1]; last.ActorName != "system" || last.Action != "publish" {
			t.Errorf("scheduled publication signed off as %+v", last)
		}
		au := audit(t, s2, admin, fmt.Sprintf("object=story:%d&action=story.publish", clitest.Num(b["id"])))
		if au.Total != 2 { // scheduled by the admin, carried out by the system
			t.Errorf("publish events of story B: %+v", au)
		}
	})
}
