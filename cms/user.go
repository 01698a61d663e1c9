package cms

import (
	"context"
	"time"
)

// Role is what a user may do.
type Role string

const (
	RoleAdmin    Role = "admin"
	RoleEditor   Role = "editor"
	RoleReviewer Role = "reviewer"
)

// User is a member of staff. The password hash never leaves the store.
//
// Users belong to the platform; what they may do is per site. Role and
// Level are the user's role in the site the request acts in (see
// NewContextWithSite); Sites lists every site the user has a role in.
// A platform admin is an admin of every site and also manages the sites
// and the users.
type User struct {
	ID            int64      `json:"id"`
	Username      string     `json:"username"`
	Name          string     `json:"name"` // display name used in sign-offs
	Role          Role       `json:"role"`
	Level         int        `json:"level"` // review level 1..3 for reviewers
	PlatformAdmin bool       `json:"platform_admin"`
	Sites         []SiteRole `json:"sites"`
	Disabled      bool       `json:"disabled"`
	// Version counts changes; an update names the version it was based on.
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

var roleNames = map[Role]string{RoleAdmin: "管理员", RoleEditor: "编辑", RoleReviewer: "审核人员"}

// Name is the role as staff call it.
func (r Role) Name() string { return label(roleNames, r) }

// Validate reports the fields of u that are wrong.
func (u *User) Validate() error {
	f := map[string]string{}
	if blank(u.Username) || runes(u.Username) > 40 {
		f["username"] = "用户名不能为空，且不超过40个字符"
	}
	switch u.Role {
	case RoleAdmin, RoleEditor:
		u.Level = 0
	case RoleReviewer:
		if u.Level < 1 || u.Level > 3 {
			f["level"] = "审核人员的审核级别必须是1（初审）、2（复审）或3（终审）"
		}
	default:
		f["role"] = "角色必须是 admin、editor 或 reviewer"
	}
	return invalidIf(f)
}

// ValidatePassword reports whether pw is acceptable as a new password.
func ValidatePassword(pw string) error {
	if len(pw) < 8 || len(pw) > 128 {
		return Invalid(map[string]string{"password": "密码长度应为8到128个字符"})
	}
	return nil
}

// UserService manages staff accounts and sessions.
type UserService interface {
	// CreateUser returns EINVALID, or ECONFLICT for a taken username.
	CreateUser(ctx context.Context, u *User, password string) error
	// FindUserByID returns ENOTFOUND.
	FindUserByID(ctx context.Context, id int64) (*User, error)
	// FindUsers returns every user.
	FindUsers(ctx context.Context) ([]*User, error)
	// UpdateUser changes role, level, name or disabled of the user at
	// u.Version (ECONFLICT with the current user if it changed); an empty password
	// keeps the old one. ENOTFOUND, EINVALID.
	UpdateUser(ctx context.Context, u *User, password string) error
	// CountUsers reports how many users exist (zero on a new data directory).
	CountUsers(ctx context.Context) (int, error)

	// Login checks credentials and returns a new bearer token valid for ttl.
	// EUNAUTHORIZED for a wrong username or password, without saying which.
	Login(ctx context.Context, username, password string, ttl time.Duration) (token string, u *User, err error)
	// Authenticate returns the user of a live token; EUNAUTHORIZED otherwise.
	Authenticate(ctx context.Context, token string) (*User, error)
	// Logout revokes a token; revoking an unknown token is not an error.
	Logout(ctx context.Context, token string) error
}
