package cms

import (
	"fmt"
	"testing"
)

// TestTransition_Exhaustive checks every state × action × user on a
// three-stage site against an explicit list of what is allowed; everything
// not listed must be refused with EFORBIDDEN or ECONFLICT.
func TestTransition_Exhaustive(t *testing.T) {
	const author = 99
	users := map[string]*User{
		"admin":     {ID: 1, Role: RoleAdmin},
		"editor":    {ID: 2, Role: RoleEditor},
		"reviewer1": {ID: 3, Role: RoleReviewer, Level: 1},
		"reviewer2": {ID: 4, Role: RoleReviewer, Level: 2},
		"reviewer3": {ID: 5, Role: RoleReviewer, Level: 3},
		// A reviewer who wrote the story may submit it, nothing more.
		"author-reviewer2": {ID: author, Role: RoleReviewer, Level: 2},
	}
	states := map[string]WorkflowState{
		"draft":        {Status: StatusDraft},
		"draft+live":   {Status: StatusDraft, Live: true},
		"review1":      {Status: StatusInReview, Stage: 1},
		"review2":      {Status: StatusInReview, Stage: 2},
		"review3":      {Status: StatusInReview, Stage: 3},
		"review1+live": {Status: StatusInReview, Stage: 1, Live: true},
		"approved":     {Status: StatusApproved},
		"scheduled":    {Status: StatusScheduled},
		"published":    {Status: StatusPublished, Live: true},
		"unpublished":  {Status: StatusUnpublished},
	}
	for k, s := range states {
		s.CreatedBy = author
		states[k] = s
	}
	type key struct{ state, action, user string }
	allowed := map[key]string{}
	allow := func(result string, action string, stateNames []string, userNames ...string) {
		for _, s := range stateNames {
			for _, u := range userNames {
				allowed[key{s, action, u}] = result
			}
		}
	}
	submitters := []string{"admin", "editor", "author-reviewer2"}
	allow("in_review/1/", "submit", []string{"draft"}, submitters...)
	allow("in_review/1/live", "submit", []string{"draft+live"}, submitters...)
	allow("in_review/1/", "submit", []string{"unpublished"}, submitters...)
	allow("in_review/2/", "approve", []string{"review1"}, "admin", "reviewer1")
	allow("in_review/2/live", "approve", []string{"review1+live"}, "admin", "reviewer1")
	allow("in_review/3/", "approve", []string{"review2"}, "admin", "reviewer2", "author-reviewer2")
	allow("approved/0/", "approve", []string{"review3"}, "admin", "reviewer3")
	allow("draft/0/", "reject", []string{"review1"}, "admin", "reviewer1")
	allow("draft/0/live", "reject", []string{"review1+live"}, "admin", "reviewer1")
	allow("draft/0/", "reject", []string{"review2"}, "admin", "reviewer2", "author-reviewer2")
	allow("draft/0/", "reject", []string{"review3", "approved", "scheduled"}, "admin", "reviewer3")
	allow("published/0/live", "publish", []string{"approved"}, "admin", "reviewer3")
	allow("published/0/live", "publish", []string{"draft", "draft+live", "review1", "review2", "review3", "review1+live", "unpublished"}, "admin")
	allow("unpublished/0/", "unpublish", []string{"published", "scheduled", "draft+live", "review1+live"}, "admin", "reviewer3")

	for sn, st := range states {
		for _, a := range Actions {
			for un, u := range users {
				name := fmt.Sprintf("%s/%s/%s", sn, a, un)
				got, err := Transition(st, a, u, 3, "请核实数据")
				want, ok := allowed[key{sn, string(a), un}]
				if ok {
					if err != nil {
						t.Errorf("%s: unexpected error %v", name, err)
						continue
					}
					live := ""
					if got.Live {
						live = "live"
					}
					if s := fmt.Sprintf("%s/%d/%s", got.Status, got.Stage, live); s != want {
						t.Errorf("%s: got %s, want %s", name, s, want)
					}
					continue
				}
				if code := ErrorCode(err); code != EFORBIDDEN && code != ECONFLICT {
					t.Errorf("%s: got %v (code %q), want a refusal", name, err, code)
				} else if ErrorMessage(err) == "" {
					t.Errorf("%s: refusal without a message", name)
				}
				if got != st {
					t.Errorf("%s: refused transition changed state to %+v", name, got)
				}
			}
		}
	}
}

func TestTransition_RejectNeedsComment(t *testing.T) {
	st := WorkflowState{Status: StatusInReview, Stage: 1}
	_, err := Transition(st, ActionReject, &User{ID: 3, Role: RoleReviewer, Level: 1}, 3, "  ")
	if ErrorCode(err) != EINVALID {
		t.Fatalf("reject without comment: got %v, want EINVALID", err)
	}
	if e := err.(*Error); e.Fields["comment"] == "" {
		t.Errorf("reject without comment: fields %v do not name comment", e.Fields)
	}
}

func TestTransition_Stages(t *testing.T) {
	tests := []struct {
		stages int
		chain  []*User // approvers in order; the last approval yields approved
	}{
		{1, []*User{{ID: 3, Role: RoleReviewer, Level: 1}}},
		{2, []*User{{ID: 3, Role: RoleReviewer, Level: 1}, {ID: 4, Role: RoleReviewer, Level: 2}}},
		{3, []*User{{ID: 3, Role: RoleReviewer, Level: 1}, {ID: 4, Role: RoleReviewer, Level: 2}, {ID: 5, Role: RoleReviewer, Level: 3}}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.stages), func(t *testing.T) {
			st, err := Transition(WorkflowState{Status: StatusDraft}, ActionSubmit, &User{ID: 2, Role: RoleEditor}, tt.stages, "")
			if err != nil {
				t.Fatal(err)
			}
			for i, u := range tt.chain {
				if st, err = Transition(st, ActionApprove, u, tt.stages, ""); err != nil {
					t.Fatalf("approval %d: %v", i+1, err)
				}
			}
			if st.Status != StatusApproved {
				t.Fatalf("after %d approvals: %s, want approved", len(tt.chain), st.Status)
			}
			final := tt.chain[len(tt.chain)-1]
			if st, err = Transition(st, ActionPublish, final, tt.stages, ""); err != nil || !st.Live {
				t.Fatalf("publish by final reviewer: %+v, %v", st, err)
			}
		})
	}
}
