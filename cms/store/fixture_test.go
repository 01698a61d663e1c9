package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
)

// fixture is a store with one user of each role and one project.
type fixture struct {
	t       *testing.T
	db      *store.DB
	admin   *cms.User
	editor  *cms.User
	r1      *cms.User // 初审
	r2      *cms.User // 复审
	r3      *cms.User // 终审
	project *cms.Project
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db}
	ctx := context.Background()
	mk := func(username, name string, role cms.Role, level int) *cms.User {
		u := &cms.User{Username: username, Name: name, Role: role, Level: level}
		if err := db.CreateUser(ctx, u, "password-"+username); err != nil {
			t.Fatalf("CreateUser(%s): %v", username, err)
		}
		return u
	}
	f.admin = mk("admin", "管理员", cms.RoleAdmin, 0)
	f.editor = mk("editor", "宣传干事小王", cms.RoleEditor, 0)
	f.r1 = mk("r1", "初审老李", cms.RoleReviewer, 1)
	f.r2 = mk("r2", "复审张科长", cms.RoleReviewer, 2)
	f.r3 = mk("r3", "终审刘局长", cms.RoleReviewer, 3)
	f.project = f.newProject("婚姻登记颁证", "banzheng", cms.KindWindow, "marriage")
	return f
}

func (f *fixture) as(u *cms.User) context.Context {
	return cms.NewContextWithUser(context.Background(), u)
}

func (f *fixture) newProject(name, slug string, kind cms.ProjectKind, area cms.Area) *cms.Project {
	f.t.Helper()
	p := &cms.Project{Name: name, Slug: slug, Kind: kind, Area: area}
	if err := f.db.CreateProject(f.as(f.admin), p); err != nil {
		f.t.Fatalf("CreateProject(%s): %v", slug, err)
	}
	return p
}

// newStory creates a draft by the editor.
func (f *fixture) newStory(title string, mods ...func(*cms.Story)) *cms.Story {
	f.t.Helper()
	s := &cms.Story{Title: title, Summary: "摘要：" + title, Body: "<p>" + title + "</p>", ProjectID: f.project.ID}
	for _, m := range mods {
		m(s)
	}
	if err := f.db.CreateStory(f.as(f.editor), s); err != nil {
		f.t.Fatalf("CreateStory(%s): %v", title, err)
	}
	return s
}

// act applies an action and fails the test on error.
func (f *fixture) act(u *cms.User, id int64, a cms.Action, comment string) *cms.Story {
	f.t.Helper()
	s, err := f.db.ApplyAction(f.as(u), id, cms.ActionRequest{Action: a, Comment: comment})
	if err != nil {
		f.t.Fatalf("%s by %s: %v", a, u.Username, err)
	}
	return s
}

// publish takes a draft through the full three-stage review and publishes it.
func (f *fixture) publish(id int64) *cms.Story {
	f.t.Helper()
	f.act(f.editor, id, cms.ActionSubmit, "")
	f.act(f.r1, id, cms.ActionApprove, "")
	f.act(f.r2, id, cms.ActionApprove, "")
	f.act(f.r3, id, cms.ActionApprove, "")
	return f.act(f.r3, id, cms.ActionPublish, "")
}

func (f *fixture) update(u *cms.User, id int64, upd cms.StoryUpdate) *cms.Story {
	f.t.Helper()
	s, err := f.db.UpdateStory(f.as(u), id, upd)
	if err != nil {
		f.t.Fatalf("UpdateStory(%d): %v", id, err)
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// liveIDs returns the ids of stories, in their order.
func liveIDs(stories []*cms.LiveStory) []int64 {
	var ids []int64
	for _, s := range stories {
		ids = append(ids, s.ID)
	}
	return ids
}

// wantCode fails unless err carries code.
func wantCode(t *testing.T, err error, code string) *cms.Error {
	t.Helper()
	if got := cms.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
	var ce *cms.Error
	errors.As(err, &ce)
	return ce
}

// wantField fails unless err is a cms.Error naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var ce *cms.Error
	if !errors.As(err, &ce) || ce.Fields[field] == "" {
		t.Fatalf("error %v does not name field %q", err, field)
	}
}
