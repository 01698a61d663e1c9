package cms

import "context"

// StageCount is how many stories wait at one review stage.
type StageCount struct {
	Stage int    `json:"stage"`
	Name  string `json:"name"` // 初审, 复审, 终审
	Count int    `json:"count"`
}

// Inbox is what waits for a user: for a reviewer the stories at their
// stage (and, for the final stage, approved stories waiting to be
// published); for an admin everything in review or approved; for an editor
// their own stories sent back with a comment.
type Inbox struct {
	Items []*Story `json:"items"`
	Total int      `json:"total"`
	// Stages counts the stories in review per stage, for every user.
	Stages []StageCount `json:"stages"`
	// Approved counts approved stories waiting to be published.
	Approved int `json:"approved"`
	// Scheduled counts stories waiting for their publish time.
	Scheduled    int  `json:"scheduled"`
	ReviewStages int  `json:"review_stages"`
	Level        int  `json:"level"`
	FinalStage   bool `json:"final_stage"` // the user signs off the last stage
}

// ReviewService answers the review inbox.
type ReviewService interface {
	// FindInbox returns what waits for the user in ctx; EUNAUTHORIZED without one.
	FindInbox(ctx context.Context, p Page) (*Inbox, error)
}

// CanSign reports whether u may sign off review stage k (approve or send
// back what waits there): an admin, or a reviewer of level k. Stories and
// replies to be published follow the same rule.
func CanSign(u *User, k int) bool {
	return u != nil && (u.Role == RoleAdmin || (u.Role == RoleReviewer && u.Level == k))
}

// stageCount is the number of review stages a site has when its settings
// say n: 1..3, and all three for anything else.
func stageCount(n int) int {
	if n < 1 || n > 3 {
		return 3
	}
	return n
}
