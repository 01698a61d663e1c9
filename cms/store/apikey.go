package store

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

var _ cms.APIKeyService = (*DB)(nil)

// apiKeyPrefix starts every secret, so a leaked key is recognisable (for
// example by secret scanners) as a Huimin key.
const apiKeyPrefix = "hm_"

type apiKeyRow struct {
	SiteID    int64 // the site the row belongs to (sitescope.go)
	ID        int64
	Name      string
	Prefix    string
	TokenHash string
	RateLimit int
	CreatedBy int64
	CreatedAt time.Time
	RevokedAt *time.Time
}

func (apiKeyRow) TableName() string { return "api_keys" }

func (r *apiKeyRow) toCMS() *cms.APIKey {
	return &cms.APIKey{ID: r.ID, Name: r.Name, Prefix: r.Prefix, RateLimit: r.RateLimit, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt, RevokedAt: r.RevokedAt}
}

// requireAdmin lets the system (CLI) and admins through.
func requireAdmin(ctx context.Context) error {
	if u := cms.UserFromContext(ctx); u != nil && u.Role != cms.RoleAdmin {
		return cms.Errorf(cms.EFORBIDDEN, "没有权限：只有管理员可以管理接口密钥")
	}
	return nil
}

// CreateAPIKey saves a new key and returns its secret, of which only the
// hash is stored.
func (db *DB) CreateAPIKey(ctx context.Context, k *cms.APIKey) (secret string, err error) {
	defer cms.Wrap(&err, "CreateAPIKey")
	if err := requireAdmin(ctx); err != nil {
		return "", err
	}
	in := *k
	in.Name = strings.TrimSpace(in.Name)
	if err := in.Validate(); err != nil {
		return "", err
	}
	if in.RateLimit == 0 {
		in.RateLimit = cms.DefaultAPIKeyRate
	}
	secret = apiKeyPrefix + strings.ToLower(rand.Text()) // 130 random bits
	a := actorOf(ctx)
	row := apiKeyRow{Name: in.Name, Prefix: secret[:len(apiKeyPrefix)+6], TokenHash: tokenHash(secret),
		RateLimit: in.RateLimit, CreatedBy: a.id, CreatedAt: db.now()}
	err = db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return db.audit(tx, a, event{action: "apikey.create", object: object("apikey", row.ID), after: row.toCMS(),
			detail: row.Name})
	})
	if err != nil {
		return "", err
	}
	*k = *row.toCMS()
	return secret, nil
}

// FindAPIKeys returns every key, newest first.
func (db *DB) FindAPIKeys(ctx context.Context) (keys []*cms.APIKey, err error) {
	defer cms.Wrap(&err, "FindAPIKeys")
	var rows []apiKeyRow
	if err := db.read(ctx).Order("id DESC").Find(&rows).Error; err != nil {
		return nil, err
	}
	return convert(rows, (*apiKeyRow).toCMS), nil
}

// RevokeAPIKey marks a key revoked; the row stays for the audit trail.
func (db *DB) RevokeAPIKey(ctx context.Context, id int64) (k *cms.APIKey, err error) {
	defer cms.Wrap(&err, "RevokeAPIKey(%d)", id)
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	a := actorOf(ctx)
	var row apiKeyRow
	err = db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&row, id).Error; err != nil {
			return notFound(err, "接口密钥不存在")
		}
		if row.RevokedAt != nil {
			return nil
		}
		before := row.toCMS()
		now := db.now()
		if err := tx.Model(&apiKeyRow{}).Where("id = ?", id).Update("revoked_at", now).Error; err != nil {
			return err
		}
		row.RevokedAt = &now
		return db.audit(tx, a, event{action: "apikey.revoke", object: object("apikey", id), before: before,
			after: row.toCMS(), detail: row.Name})
	})
	if err != nil {
		return nil, err
	}
	return row.toCMS(), nil
}

// AuthenticateAPIKey returns the live key with that secret.
func (db *DB) AuthenticateAPIKey(ctx context.Context, secret string) (k *cms.APIKey, err error) {
	defer cms.Wrap(&err, "AuthenticateAPIKey")
	bad := cms.Errorf(cms.EUNAUTHORIZED, "接口密钥无效或已停用")
	if !strings.HasPrefix(secret, apiKeyPrefix) || len(secret) > 100 {
		return nil, bad
	}
	var row apiKeyRow
	err = db.read(ctx).Where("token_hash = ?", tokenHash(secret)).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return nil, bad
	case err != nil:
		return nil, err
	case row.RevokedAt != nil:
		return nil, bad
	}
	return row.toCMS(), nil
}
