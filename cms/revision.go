package cms

import "context"

// RevisionService reads single revisions and restores old ones.
type RevisionService interface {
	// FindRevision returns one saved version of a story; ENOTFOUND.
	FindRevision(ctx context.Context, storyID int64, version int) (*Revision, error)
	// RestoreRevision saves the content of an old version as a new version
	// of the working copy (a draft; a live version stays live). current must
	// be the story's current version: ECONFLICT when stale. ENOTFOUND,
	// EINVALID (the old version names a project that is gone).
	RestoreRevision(ctx context.Context, storyID int64, version, current int) (*Story, error)
}

// DiffOp is one run of a text diff: unchanged, inserted or deleted text.
type DiffOp struct {
	Op   string `json:"op"` // "equal", "insert", "delete"
	Text string `json:"text"`
}

// FieldDiff is the diff of one field between two revisions.
type FieldDiff struct {
	Field   string   `json:"field"` // title, summary, body (its text)
	Changed bool     `json:"changed"`
	From    string   `json:"from"`
	To      string   `json:"to"`
	Ops     []DiffOp `json:"ops"`
	// Unified is a line diff ("-"/"+"/" " prefixed lines) for the body.
	Unified string `json:"unified,omitempty"`
}

// RevisionDiff compares two saved versions of a story.
type RevisionDiff struct {
	StoryID int64       `json:"story_id"`
	From    *Revision   `json:"from"`
	To      *Revision   `json:"to"`
	Fields  []FieldDiff `json:"fields"`
	// Other names the other fields that differ (slug, tags, cover, project…).
	Other []string `json:"other"`
}
