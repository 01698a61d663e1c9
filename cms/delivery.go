package cms

import (
	"context"
	"time"
)

// ContentCursor is a position in the order live stories are listed in
// (newest publication first, then highest id). Paging by cursor stays fast
// and stable however deep a client reads, while new publications arrive.
type ContentCursor struct {
	PublishedAt time.Time
	ID          int64
}

// ContentVersionService tells readers of published content when it changed.
type ContentVersionService interface {
	// ContentVersion returns a number that changes, in the same transaction,
	// with every change to what the content API serves: publish, unpublish,
	// import, projects, standing pages, settings and media. Caches key on it.
	ContentVersion(ctx context.Context) (int64, error)
}

// API key limits.
const (
	DefaultAPIKeyRate = 600    // requests per minute
	MaxAPIKeyRate     = 600000 // 10,000 a second
)

// APIKey lets an integrator (a mini program, a lobby screen, a portal) read
// the content API under a rate limit of its own. Keys are read-only; the
// secret is shown once, when the key is created, and only its hash is kept.
type APIKey struct {
	ID   int64  `json:"id"`
	Name string `json:"name"` // who uses it, e.g. "市政务服务网"
	// Prefix is the start of the secret, so staff can tell keys apart.
	Prefix string `json:"prefix"`
	// RateLimit is how many requests a minute the key may make.
	RateLimit int        `json:"rate_limit"`
	CreatedBy int64      `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// Revoked reports whether the key no longer works.
func (k *APIKey) Revoked() bool { return k.RevokedAt != nil }

// Validate reports the fields of k that are wrong; a zero rate means the default.
func (k *APIKey) Validate() error {
	f := map[string]string{}
	if blank(k.Name) || runes(k.Name) > 60 {
		f["name"] = "请填写使用方名称（不超过60个字）"
	}
	if k.RateLimit < 0 || k.RateLimit > MaxAPIKeyRate {
		f["rate_limit"] = "每分钟请求上限必须在1到600000之间"
	}
	return invalidIf(f)
}

// APIKeyService manages integrators' API keys.
type APIKeyService interface {
	// CreateAPIKey saves k (filling in its id, prefix and times) and returns
	// the secret, which cannot be read again. EINVALID; EFORBIDDEN unless the
	// acting user is an admin.
	CreateAPIKey(ctx context.Context, k *APIKey) (secret string, err error)
	// FindAPIKeys returns every key, revoked ones included, newest first.
	FindAPIKeys(ctx context.Context) ([]*APIKey, error)
	// RevokeAPIKey stops a key from working; ENOTFOUND, EFORBIDDEN. Revoking
	// a revoked key is not an error.
	RevokeAPIKey(ctx context.Context, id int64) (*APIKey, error)
	// AuthenticateAPIKey returns the key with that secret; EUNAUTHORIZED for
	// an unknown or revoked key.
	AuthenticateAPIKey(ctx context.Context, secret string) (*APIKey, error)
}
