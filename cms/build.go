package cms

import (
	"context"
	"time"
)

// BuildStatus is the state of a site build.
type BuildStatus string

const (
	BuildQueued    BuildStatus = "queued"
	BuildRunning   BuildStatus = "running"
	BuildSucceeded BuildStatus = "succeeded"
	BuildFailed    BuildStatus = "failed"
)

// Build is the record of one site build. A change is live once a build that
// was queued after it has succeeded.
type Build struct {
	ID         int64       `json:"id"`
	Status     BuildStatus `json:"status"`
	Reason     string      `json:"reason"`
	Full       bool        `json:"full"`
	Pages      int         `json:"pages"`
	Error      string      `json:"error,omitempty"`
	ErrorFile  string      `json:"error_file,omitempty"`
	ErrorLine  int         `json:"error_line,omitempty"`
	QueuedAt   time.Time   `json:"queued_at"`
	StartedAt  *time.Time  `json:"started"`
	FinishedAt *time.Time  `json:"finished"`
	DurationMS int64       `json:"duration_ms"`

	// Stories are the live stories the build must read again when it is
	// not full; empty means anything may have changed. They are kept with
	// the queued record, so whichever replica builds it knows.
	Stories []int64 `json:"-"`
	// Builder names the replica that ran the build.
	Builder string `json:"builder,omitempty"`
}

var buildStatusNames = map[BuildStatus]string{BuildQueued: "排队中", BuildRunning: "构建中", BuildSucceeded: "成功", BuildFailed: "失败"}

// Name is the status as staff read it.
func (s BuildStatus) Name() string { return label(buildStatusNames, s) }

// Done reports whether the build has finished, well or not.
func (b *Build) Done() bool { return b.Status == BuildSucceeded || b.Status == BuildFailed }

// BuildService stores build records.
type BuildService interface {
	CreateBuild(ctx context.Context, b *Build) error
	// UpdateBuild saves the status fields of b; ENOTFOUND.
	UpdateBuild(ctx context.Context, b *Build) error
	// FindBuildByID returns ENOTFOUND.
	FindBuildByID(ctx context.Context, id int64) (*Build, error)
	// FindBuilds returns a page of builds, newest first, and the total.
	FindBuilds(ctx context.Context, p Page) ([]*Build, int, error)
}

// Change is what a build is asked for.
type Change struct {
	// Reason says why, for staff; it is recorded on the build
	// ("publish story:12").
	Reason string
	// Stories are the live stories that changed, when that is all that did;
	// an incremental build then reads only them. Empty means anything may
	// have changed.
	Stories []int64
}

// StoriesChanged is the Change for live stories that changed.
func StoriesChanged(reason string, ids ...int64) Change { return Change{Reason: reason, Stories: ids} }

// Publisher rebuilds the public site after content changes.
type Publisher interface {
	// Enqueue asks for a build that includes every change committed so far
	// and returns its record at once; bursts coalesce into one build.
	Enqueue(ctx context.Context, c Change) (*Build, error)
	// Rebuild asks for a full build from scratch (templates or settings changed).
	Rebuild(ctx context.Context, reason string) (*Build, error)
}

// A Lease is one replica's turn as the site builder, granted through the
// database. Token grows with every new holder: it fences a builder that
// lost its lease (paused, partitioned) from writing once another took over.
type Lease struct {
	Name   string
	Holder string
	Token  int64
	// Expires is when the lease lapses unless renewed, by the database's clock.
	Expires time.Time
}

// Held reports whether the lease was granted.
func (l Lease) Held() bool { return l.Token > 0 }

// LeaseService grants leases. Every replica asks about every few seconds;
// the holder's asking renews it.
type LeaseService interface {
	// AcquireLease grants or renews the named lease for holder for ttl. If
	// another holder has it and it has not lapsed, the returned Lease is not
	// Held and names that holder.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (Lease, error)
	// ReleaseLease gives l up at once, if it is still held.
	ReleaseLease(ctx context.Context, l Lease) error
}

// BuildQueue is the durable queue of builds replicas share: any replica
// records a queued build; the builder claims them.
type BuildQueue interface {
	// ClaimBuilds marks every queued build running for the holder of l and
	// returns them, oldest first. It returns ECONFLICT if l is no longer
	// held (another replica took over): the caller must stop building.
	ClaimBuilds(ctx context.Context, l Lease) ([]*Build, error)
	// QueueDepth counts the builds queued and not yet claimed.
	QueueDepth(ctx context.Context) (int, error)
}

// ReplicaStatus is what GET /readyz says of one server process: whether it
// is the site builder (always, without replicas), who is, how many builds
// wait, and which build it serves since when.
type ReplicaStatus struct {
	Replica        string    `json:"replica,omitempty"`
	Builder        bool      `json:"builder"`
	BuilderIs      string    `json:"builder_is,omitempty"`
	QueueDepth     int       `json:"queue_depth"`
	LiveBuild      string    `json:"live_build,omitempty"`
	LiveSince      time.Time `json:"live_since,omitzero"`
	LiveAgeSeconds int64     `json:"live_age_seconds"`
}
