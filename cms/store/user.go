package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

const (
	bcryptCost      = 10
	defaultTokenTTL = 12 * time.Hour
	// sessionGrace is how long expired or revoked sessions are kept before
	// a login sweeps them away; long enough to tell "expired" from "unknown"
	// when someone investigates.
	sessionGrace = 7 * 24 * time.Hour
)

// normalizeUsername makes usernames case-insensitive on both backends
// (MySQL's collation already is, SQLite's comparison is not).
func normalizeUsername(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// CreateUser saves u with a bcrypt hash of password.
func (db *DB) CreateUser(ctx context.Context, u *cms.User, password string) (err error) {
	defer cms.Wrap(&err, "CreateUser(%q)", u.Username)
	in := *u
	in.Username = normalizeUsername(in.Username)
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		in.Name = in.Username
	}
	fields := map[string]string{}
	rolesFromSites(ctx, &in)
	collect(fields, validateUser(in))
	collect(fields, cms.ValidatePassword(password))
	if len(fields) > 0 {
		return cms.Invalid(fields)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return err
	}
	if in.PlatformAdmin && !isPlatformAdmin(ctx) {
		return cms.Errorf(cms.EFORBIDDEN, "只有平台管理员可以设置平台管理员")
	}
	a := actorOf(ctx)
	now := db.now()
	row := userRow{Username: in.Username, Name: in.Name, Role: string(in.Role), Level: in.Level, Disabled: in.Disabled,
		PlatformAdmin: in.PlatformAdmin, PasswordHash: string(hash), Version: 1, CreatedAt: now, UpdatedAt: now}
	var out *cms.User
	err = db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := setMembership(ctx, tx, row.ID, &in); err != nil {
			return err
		}
		out = row.toCMS()
		if err := withRoles(ctx, tx, out); err != nil {
			return err
		}
		return db.audit(tx, a, event{action: "user.create", object: object("user", row.ID), after: out,
			detail: row.Username + "（" + cms.Role(row.Role).Name() + "）"})
	})
	if err != nil {
		return err
	}
	*u = *out
	return nil
}

// FindUserByID returns ENOTFOUND if there is no such user.
func (db *DB) FindUserByID(ctx context.Context, id int64) (u *cms.User, err error) {
	defer cms.Wrap(&err, "FindUserByID(%d)", id)
	r := db.read(ctx)
	var row userRow
	if err := r.Take(&row, id).Error; err != nil {
		return nil, notFound(err, "用户不存在")
	}
	u = row.toCMS()
	if err := withRoles(ctx, r, u); err != nil {
		return nil, err
	}
	if !isPlatformAdmin(ctx) && u.Role == "" { // no member of this site
		return nil, cms.Errorf(cms.ENOTFOUND, "用户不存在")
	}
	return u, nil
}

// FindUsers returns, in creation order, the users of the site ctx acts in
// (its members and the platform admins); every user for a platform admin.
func (db *DB) FindUsers(ctx context.Context) (users []*cms.User, err error) {
	defer cms.Wrap(&err, "FindUsers")
	r := db.read(ctx)
	q := r.Order("id")
	if !isPlatformAdmin(ctx) {
		q = q.Where("platform_admin = ? OR id IN (?)", true,
			r.Model(&siteMemberRow{}).Select("user_id").Where("site_id = ?", siteCtx(ctx)))
	}
	var rows []userRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	users = convert(rows, (*userRow).toCMS)
	return users, withRoles(ctx, r, users...)
}

// CountUsers reports how many users exist.
func (db *DB) CountUsers(ctx context.Context) (n int, err error) {
	defer cms.Wrap(&err, "CountUsers")
	var c int64
	err = db.read(ctx).Model(&userRow{}).Count(&c).Error
	return int(c), err
}

// UpdateUser changes name, role, level and disabled of user u.ID, and the
// password when one is given. Changing the password or disabling the user
// revokes their sessions. The last active admin cannot be demoted or
// disabled, so the site can never lock itself out.
func (db *DB) UpdateUser(ctx context.Context, u *cms.User, password string) (err error) {
	defer cms.Wrap(&err, "UpdateUser(%d)", u.ID)
	var hash []byte
	if password != "" {
		if err := cms.ValidatePassword(password); err != nil {
			return err
		}
		if hash, err = bcrypt.GenerateFromPassword([]byte(password), bcryptCost); err != nil {
			return err
		}
	}
	detail := "资料"
	if hash != nil {
		detail = "资料、密码"
	}
	a := actorOf(ctx)
	out, err := updateVersioned(ctx, db, versionedUpdate[userRow, *cms.User]{
		id: u.ID, version: u.Version, missing: "用户不存在", stale: "该用户已被他人修改，请刷新后再改",
		change: func(tx *gorm.DB, row *userRow) (map[string]any, error) {
			cur := row.toCMS()
			if err := withRoles(ctx, tx, cur); err != nil {
				return nil, err
			}
			if !isPlatformAdmin(ctx) {
				if cur.Role == "" { // no member of this site
					return nil, cms.Errorf(cms.ENOTFOUND, "用户不存在")
				}
				if row.PlatformAdmin != u.PlatformAdmin {
					return nil, cms.Errorf(cms.EFORBIDDEN, "只有平台管理员可以设置平台管理员")
				}
			}
			next := *cur
			next.Name, next.Role, next.Level, next.Disabled = strings.TrimSpace(u.Name), u.Role, u.Level, u.Disabled
			next.PlatformAdmin, next.Sites = u.PlatformAdmin, u.Sites
			if next.Name == "" {
				next.Name = row.Username
			}
			if next.PlatformAdmin {
				next.Role, next.Level = cms.RoleAdmin, 0
			}
			rolesFromSites(ctx, &next)
			if err := validateUser(next); err != nil {
				return nil, err
			}
			// The site (and the platform) must keep an admin who can log in.
			wasAdmin := cur.Role == cms.RoleAdmin && !row.Disabled
			if wasAdmin && (next.Role != cms.RoleAdmin || next.Disabled || (row.PlatformAdmin && !next.PlatformAdmin)) {
				other, err := anyRow(tx.Model(&userRow{}).Where("disabled = ? AND id <> ? AND (platform_admin = ? OR id IN (?))",
					false, row.ID, true, tx.Model(&siteMemberRow{}).Select("user_id").
						Where("site_id = ? AND role = ?", siteCtx(ctx), string(cms.RoleAdmin))))
				if err != nil {
					return nil, err
				}
				if !other {
					return nil, cms.Errorf(cms.ECONFLICT, "至少需要保留一名可用的管理员")
				}
			}
			if err := setMembership(ctx, tx, row.ID, &next); err != nil {
				return nil, err
			}
			set := map[string]any{"name": next.Name, "role": string(next.Role), "level": next.Level, "disabled": next.Disabled,
				"platform_admin": next.PlatformAdmin}
			if hash != nil {
				set["password_hash"] = string(hash)
			}
			return set, nil
		},
		done: func(tx *gorm.DB, before *cms.User, row *userRow) error {
			if hash != nil || (row.Disabled && !before.Disabled) {
				if err := tx.Model(&sessionRow{}).Where("user_id = ? AND revoked = ?", row.ID, false).
					Update("revoked", true).Error; err != nil {
					return err
				}
			}
			after := row.toCMS()
			if err := withRoles(ctx, tx, after); err != nil {
				return err
			}
			return db.audit(tx, a, event{action: "user.update", object: object("user", row.ID), before: before,
				after: after, detail: detail})
		},
	})
	if err != nil {
		return err
	}
	*u = *out
	return nil
}

// dummy returns a bcrypt hash to compare against when the username is
// unknown, so that a wrong username costs as long as a wrong password and
// timing does not reveal which accounts exist.
func (db *DB) dummy() []byte {
	db.dummyOnce.Do(func() {
		db.dummyHash, _ = bcrypt.GenerateFromPassword([]byte("huimin-no-such-user"), bcryptCost)
	})
	return db.dummyHash
}

func errBadLogin() error { return cms.Errorf(cms.EUNAUTHORIZED, "用户名或密码错误") }

// Login checks credentials and opens a session valid for ttl.
func (db *DB) Login(ctx context.Context, username, password string, ttl time.Duration) (token string, u *cms.User, err error) {
	defer cms.Wrap(&err, "Login")
	if ttl <= 0 {
		ttl = defaultTokenTTL
	}
	var row userRow
	err = db.read(ctx).Where("username = ?", normalizeUsername(username)).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		_ = bcrypt.CompareHashAndPassword(db.dummy(), []byte(password))
		return "", nil, errBadLogin()
	case err != nil:
		return "", nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(row.PasswordHash), []byte(password)) != nil {
		return "", nil, errBadLogin()
	}
	if row.Disabled {
		return "", nil, cms.Errorf(cms.EUNAUTHORIZED, "该账号已停用，请联系管理员")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	token = base64.RawURLEncoding.EncodeToString(raw)
	now := db.now()
	err = db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("expires_at < ?", now.Add(-sessionGrace)).Delete(&sessionRow{}).Error; err != nil {
			return err
		}
		if err := tx.Create(&sessionRow{TokenHash: tokenHash(token), UserID: row.ID, ExpiresAt: now.Add(ttl),
			CreatedAt: now}).Error; err != nil {
			return err
		}
		return db.audit(tx, actor{id: row.ID, name: row.toCMS().Name}, event{action: "user.login",
			object: object("user", row.ID)})
	})
	if err != nil {
		return "", nil, err
	}
	u = row.toCMS()
	return token, u, withRoles(ctx, db.read(ctx), u)
}

// tokenHash is what is stored of a token: a database leak yields no
// usable tokens.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Authenticate returns the user of a live session.
func (db *DB) Authenticate(ctx context.Context, token string) (u *cms.User, err error) {
	defer cms.Wrap(&err, "Authenticate")
	expired := cms.Errorf(cms.EUNAUTHORIZED, "登录已失效，请重新登录")
	if token == "" || len(token) > 200 {
		return nil, expired
	}
	var row struct {
		ID        int64
		Username  string
		Name      string
		Role      string
		Level     int
		Disabled  bool
		Platform  bool
		Version   int
		CreatedAt time.Time
		UpdatedAt time.Time
		ExpiresAt time.Time
		Revoked   bool
	}
	res := db.read(ctx).Table("sessions AS s").
		Select("u.id, u.username, u.name, u.role, u.level, u.disabled, u.platform_admin AS platform, u.version, u.created_at, u.updated_at, s.expires_at, s.revoked").
		Joins("JOIN users u ON u.id = s.user_id").
		Where("s.token_hash = ?", tokenHash(token)).Limit(1).Scan(&row)
	switch {
	case res.Error != nil:
		return nil, res.Error
	case res.RowsAffected == 0:
		return nil, expired
	case row.Revoked || !row.ExpiresAt.After(db.now()):
		return nil, expired
	case row.Disabled:
		return nil, cms.Errorf(cms.EUNAUTHORIZED, "该账号已停用，请联系管理员")
	}
	u = &cms.User{ID: row.ID, Username: row.Username, Name: row.Name, Role: cms.Role(row.Role), Level: row.Level,
		PlatformAdmin: row.Platform, Version: row.Version, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
	return u, withRoles(ctx, db.read(ctx), u)
}

// Logout revokes token; an unknown token is not an error.
func (db *DB) Logout(ctx context.Context, token string) (err error) {
	defer cms.Wrap(&err, "Logout")
	if token == "" {
		return nil
	}
	return db.tx(ctx, func(tx *gorm.DB) error {
		var s sessionRow
		err := tx.Where("token_hash = ?", tokenHash(token)).Take(&s).Error
		if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && s.Revoked) {
			return nil
		} else if err != nil {
			return err
		}
		if err := tx.Model(&sessionRow{}).Where("id = ?", s.ID).Update("revoked", true).Error; err != nil {
			return err
		}
		a := actorOf(ctx)
		if a == systemActor {
			a = actor{id: s.UserID, name: "user:" + itoa(s.UserID)}
			var ur userRow
			if tx.Select("id, username, name").Take(&ur, s.UserID).Error == nil {
				a.name = ur.toCMS().Name
			}
		}
		return db.audit(tx, a, event{action: "user.logout", object: object("user", s.UserID)})
	})
}
