package cms

import (
	"context"
	"time"
)

// AuditEvent is one append-only entry of the audit trail.
type AuditEvent struct {
	ID        int64     `json:"id"`
	ActorID   int64     `json:"actor_id"`
	ActorName string    `json:"actor_name"` // "system" for the CLI and scheduler
	Action    string    `json:"action"`     // e.g. "story.update", "story.publish"
	Object    string    `json:"object"`     // e.g. "story:12"
	Before    string    `json:"before"`     // digest of the object before, "" when created
	After     string    `json:"after"`      // digest after, "" when deleted
	Detail    string    `json:"detail"`     // short human-readable summary, e.g. a comment
	CreatedAt time.Time `json:"created_at"`
}

// AuditFilter selects audit events.
type AuditFilter struct {
	Object  string
	ActorID int64
	Action  string
	Since   *time.Time
	Until   *time.Time
	// NewestFirst reverses the order: the admin screen starts at the latest.
	NewestFirst bool
	Page
}

// AuditService reads the audit trail; events are written by the stores as
// part of each change and can never be altered through any API.
type AuditService interface {
	// FindAuditEvents returns events oldest first (newest first when the
	// filter says so) and the total.
	FindAuditEvents(ctx context.Context, f AuditFilter) ([]*AuditEvent, int, error)
}
