package cms_test

import (
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
)

// TestDueDate: working days skip weekends and holidays, count make-up days,
// and a due date is the end of its day in China time.
func TestDueDate(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, cms.Local)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		name     string
		from     string
		n        int
		holidays []string
		makeup   []string
		want     string
	}{
		{"Monday + 5", "2026-12-07 10:00", 5, nil, nil, "2026-12-14"},
		{"Friday evening + 5 skips the weekend", "2026-12-11 23:30", 5, nil, nil, "2026-12-18"},
		{"Saturday + 1 is Monday", "2026-12-12 09:00", 1, nil, nil, "2026-12-14"},
		{"holidays skipped", "2026-09-30 09:00", 5, []string{"2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"}, nil, "2026-10-14"},
		{"make-up Sunday worked", "2026-10-09 09:00", 1, nil, []string{"2026-10-11"}, "2026-10-11"},
	} {
		s := cms.InteractSettings{Holidays: c.holidays, MakeupDays: c.makeup}
		got := s.DueDate(at(c.from), c.n).In(cms.Local)
		if got.Format(time.DateOnly) != c.want || got.Format("15:04:05") != "23:59:59" {
			t.Errorf("%s: DueDate = %s, want %s 23:59:59", c.name, got, c.want)
		}
	}
}

// TestMessageRedact: the phone is in clear for admins and the handler only.
func TestMessageRedact(t *testing.T) {
	for _, c := range []struct {
		user *cms.User
		want string
	}{
		{&cms.User{ID: 1, Role: cms.RoleAdmin}, "13812345678"},
		{&cms.User{ID: 2, Role: cms.RoleEditor}, "13812345678"},
		{&cms.User{ID: 3, Role: cms.RoleEditor}, "138******78"},
		{&cms.User{ID: 4, Role: cms.RoleReviewer}, "138******78"},
		{nil, "138******78"},
	} {
		m := &cms.Message{Phone: "13812345678", AssigneeID: 2}
		m.Redact(c.user)
		if m.Phone != c.want || m.PhoneMasked != (c.want != "13812345678") {
			t.Errorf("Redact(%+v) = %q masked=%v, want %q", c.user, m.Phone, m.PhoneMasked, c.want)
		}
	}
}

func TestMessageInput_Validate(t *testing.T) {
	in := cms.MessageInput{Category: "spam", Text: string(make([]rune, 1001)), Phone: "12ab"}
	err := in.Validate()
	var e *cms.Error
	if !asError(err, &e) || e.Fields["category"] == "" || e.Fields["text"] == "" || e.Fields["phone"] == "" {
		t.Fatalf("Validate = %v, want category, text and phone named", err)
	}
	ok := cms.MessageInput{Category: cms.CategoryConsult, Text: " 办证要带什么？ ", Phone: "138 1234-5678"}
	if err := ok.Validate(); err != nil || ok.Phone != "13812345678" || ok.Text != "办证要带什么？" {
		t.Fatalf("Validate = %v, %+v", err, ok)
	}
}

func asError(err error, e **cms.Error) bool {
	ce, ok := err.(*cms.Error)
	*e = ce
	return ok
}

// TestReviewReply: a reply climbs the site's stages, each signed by a
// reviewer of its level or an admin; the last approval publishes it; a
// return needs a comment; a reply left at a stage the site no longer has
// waits at the final one.
func TestReviewReply(t *testing.T) {
	admin := &cms.User{ID: 1, Role: cms.RoleAdmin}
	editor := &cms.User{ID: 2, Role: cms.RoleEditor}
	r := func(level int) *cms.User {
		return &cms.User{ID: int64(10 + level), Role: cms.RoleReviewer, Level: level}
	}
	approve := string(cms.ActionApprove)
	for _, tc := range []struct {
		name          string
		stage, stages int
		u             *cms.User
		action        string
		comment       string
		next          int
		live          bool
		code          string
	}{
		{"初审 by level 1", 1, 3, r(1), approve, "", 2, false, ""},
		{"复审 by level 2", 2, 3, r(2), approve, "", 3, false, ""},
		{"终审 publishes", 3, 3, r(3), approve, "", 0, true, ""},
		{"admin signs any stage", 2, 3, admin, approve, "", 3, false, ""},
		{"one stage publishes at once", 1, 1, r(1), approve, "", 0, true, ""},
		{"level 2 at 初审", 1, 3, r(2), approve, "", 0, false, cms.EFORBIDDEN},
		{"level 1 at 复审", 2, 3, r(1), approve, "", 0, false, cms.EFORBIDDEN},
		{"editor", 1, 3, editor, approve, "", 0, false, cms.EFORBIDDEN},
		{"nobody", 1, 3, nil, approve, "", 0, false, cms.EUNAUTHORIZED},
		{"return with a comment", 2, 3, r(2), cms.ActionReturn, "措辞不当", 0, false, ""},
		{"return without a comment", 2, 3, r(2), cms.ActionReturn, "  ", 0, false, cms.EINVALID},
		{"return by another level", 2, 3, r(3), cms.ActionReturn, "x", 0, false, cms.EFORBIDDEN},
		{"stages lowered: 终审 of two stages", 3, 2, r(2), approve, "", 0, true, ""},
		{"stages lowered: level 3 no longer signs", 3, 2, r(3), approve, "", 0, false, cms.EFORBIDDEN},
		{"unknown action", 1, 3, admin, "publish", "", 0, false, cms.ENOTFOUND},
	} {
		next, live, err := cms.ReviewReply(tc.stage, tc.stages, tc.u, tc.action, tc.comment)
		if code := cms.ErrorCode(err); code != tc.code {
			t.Errorf("%s: error %v, want code %q", tc.name, err, tc.code)
			continue
		}
		if err == nil && (next != tc.next || live != tc.live) {
			t.Errorf("%s: next %d live %v, want %d %v", tc.name, next, live, tc.next, tc.live)
		}
	}
}
