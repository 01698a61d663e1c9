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
