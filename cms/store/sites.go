package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

var _ cms.SiteService = (*DB)(nil)

type siteRow struct {
	ID        int64
	Slug      string
	Name      string
	Hosts     string // JSON list
	Overview  bool
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (siteRow) TableName() string { return "sites" }

func (r *siteRow) toCMS() *cms.Site {
	s := &cms.Site{ID: r.ID, Slug: r.Slug, Name: r.Name, Overview: r.Overview, Version: r.Version,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Hosts: []string{}}
	_ = json.Unmarshal([]byte(r.Hosts), &s.Hosts)
	return s
}

type siteHostRow struct {
	Host   string
	SiteID int64
}

func (siteHostRow) TableName() string { return "site_hosts" }

// siteMemberRow is a user's role in one site. It is not in siteTables: who
// belongs to a site is read across sites, for the site switcher.
type siteMemberRow struct {
	UserID int64
	SiteID int64
	Role   string
	Level  int
}

func (siteMemberRow) TableName() string { return "site_members" }

// isPlatformAdmin reports whether ctx acts for a platform admin, or for
// the system (the command line, the scheduler).
func isPlatformAdmin(ctx context.Context) bool {
	u := cms.UserFromContext(ctx)
	return u == nil || u.PlatformAdmin
}

func errNotPlatformAdmin() error {
	return cms.Errorf(cms.EFORBIDDEN, "只有平台管理员可以管理站点")
}

// CreateSite adds a site with default settings: its own settings,
// interaction and content-version rows, so it builds and serves at once.
func (db *DB) CreateSite(ctx context.Context, s *cms.Site) (err error) {
	defer cms.Wrap(&err, "CreateSite(%q)", s.Slug)
	if !isPlatformAdmin(ctx) {
		return errNotPlatformAdmin()
	}
	if err := s.Validate(); err != nil {
		return err
	}
	hosts, _ := json.Marshal(s.Hosts)
	now := db.now()
	row := siteRow{Slug: s.Slug, Name: s.Name, Hosts: string(hosts), Overview: s.Overview, Version: 1, CreatedAt: now, UpdatedAt: now}
	a := actorOf(ctx)
	err = db.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			if _, dup := uniqueViolation(err); dup {
				return cms.Invalid(map[string]string{"slug": "站点代号已被使用"})
			}
			return err
		}
		if err := setHosts(tx, row.ID, s.Hosts); err != nil {
			return err
		}
		// The new site's own rows, written in its scope.
		in := tx.WithContext(cms.NewContextWithSite(tx.Statement.Context, row.ID))
		set := defaultSettings(row.ID)
		set.SiteName = s.Name
		if err := in.Create(&set).Error; err != nil {
			return err
		}
		if err := in.Create(&interactSettingsRow{ID: row.ID, DueDays: 5, RetentionDays: 365, Holidays: "[]",
			MakeupDays: "[]", Version: 1, UpdatedAt: now}).Error; err != nil {
			return err
		}
		if err := in.Exec("INSERT INTO content_version (id, version, site_id) VALUES (?, 1, ?)", row.ID, row.ID).Error; err != nil {
			return err
		}
		return db.audit(in, a, event{action: "site.create", object: object("site", row.ID), after: row.toCMS(),
			detail: row.Name + "（" + row.Slug + "）"})
	})
	if err != nil {
		return err
	}
	*s = *row.toCMS()
	return nil
}

// setHosts makes hosts the host names of site, refusing one another site has.
func setHosts(tx *gorm.DB, site int64, hosts []string) error {
	if err := tx.Where("site_id = ?", site).Delete(&siteHostRow{}).Error; err != nil {
		return err
	}
	for _, h := range hosts {
		if err := tx.Create(&siteHostRow{Host: h, SiteID: site}).Error; err != nil {
			if _, dup := uniqueViolation(err); dup {
				return cms.Invalid(map[string]string{"hosts": "域名 " + h + " 已被其他站点使用"})
			}
			return err
		}
	}
	return nil
}

// FindSites returns every site in id order.
func (db *DB) FindSites(ctx context.Context) (sites []*cms.Site, err error) {
	defer cms.Wrap(&err, "FindSites")
	var rows []siteRow
	if err := db.read(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	return convert(rows, (*siteRow).toCMS), nil
}

// FindSiteByID returns ENOTFOUND.
func (db *DB) FindSiteByID(ctx context.Context, id int64) (s *cms.Site, err error) {
	defer cms.Wrap(&err, "FindSiteByID(%d)", id)
	var row siteRow
	if err := db.read(ctx).Take(&row, id).Error; err != nil {
		return nil, notFound(err, "站点不存在")
	}
	return row.toCMS(), nil
}

// UpdateSite changes name, hosts and overview of site s.ID at s.Version.
func (db *DB) UpdateSite(ctx context.Context, s *cms.Site) (err error) {
	defer cms.Wrap(&err, "UpdateSite(%d)", s.ID)
	if !isPlatformAdmin(ctx) {
		return errNotPlatformAdmin()
	}
	a := actorOf(ctx)
	var out siteRow
	err = db.tx(ctx, func(tx *gorm.DB) error {
		var row siteRow
		if err := tx.Take(&row, s.ID).Error; err != nil {
			return notFound(err, "站点不存在")
		}
		next := *s
		next.Slug = row.Slug
		if err := next.Validate(); err != nil {
			return err
		}
		if row.Version != s.Version {
			return &cms.Error{Code: cms.ECONFLICT, Message: "站点已被他人修改，请刷新后再改", Current: row.toCMS()}
		}
		hosts, _ := json.Marshal(next.Hosts)
		res := tx.Model(&siteRow{}).Where("id = ? AND version = ?", row.ID, row.Version).Updates(map[string]any{
			"name": next.Name, "hosts": string(hosts), "overview": next.Overview, "version": row.Version + 1,
			"updated_at": db.now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return &cms.Error{Code: cms.ECONFLICT, Message: "站点已被他人修改，请刷新后再改", Current: row.toCMS()}
		}
		if err := setHosts(tx, row.ID, next.Hosts); err != nil {
			return err
		}
		if err := tx.Take(&out, row.ID).Error; err != nil {
			return err
		}
		in := tx.WithContext(cms.NewContextWithSite(tx.Statement.Context, row.ID))
		// The site's own settings carry the same name (the site header).
		if next.Name != row.Name {
			if err := in.Model(&settingsRow{}).Where("site_name <> ?", next.Name).
				Updates(map[string]any{"site_name": next.Name, "version": gorm.Expr("version + 1")}).Error; err != nil {
				return err
			}
		}
		return db.audit(in, a, event{action: "site.update", object: object("site", row.ID), before: row.toCMS(),
			after: out.toCMS(), detail: out.Name})
	})
	if err != nil {
		return err
	}
	*s = *out.toCMS()
	return nil
}

// withRoles fills in each user's role in the site ctx acts in, and the
// sites they have a role in. A platform admin is an admin everywhere; a
// user with no role in the site gets the empty role, which no route
// accepts.
func withRoles(ctx context.Context, tx *gorm.DB, users ...*cms.User) error {
	if len(users) == 0 {
		return nil
	}
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	var rows []siteMemberRow
	if err := tx.Where("user_id IN ?", ids).Order("site_id").Find(&rows).Error; err != nil {
		return err
	}
	site := siteCtx(ctx)
	by := map[int64][]siteMemberRow{}
	for _, r := range rows {
		by[r.UserID] = append(by[r.UserID], r)
	}
	for _, u := range users {
		u.Role, u.Level, u.Sites = "", 0, []cms.SiteRole{}
		for _, r := range by[u.ID] {
			u.Sites = append(u.Sites, cms.SiteRole{SiteID: r.SiteID, Role: cms.Role(r.Role), Level: r.Level})
			if r.SiteID == site {
				u.Role, u.Level = cms.Role(r.Role), r.Level
			}
		}
		if u.PlatformAdmin {
			u.Role, u.Level = cms.RoleAdmin, 0
		}
	}
	return nil
}

// setMembership writes the roles of user id: roles replaces every role the
// user has when given by a platform admin; otherwise the user's role in
// the site ctx acts in becomes role/level.
func setMembership(ctx context.Context, tx *gorm.DB, id int64, u *cms.User) error {
	if u.Sites != nil && isPlatformAdmin(ctx) {
		if err := tx.Where("user_id = ?", id).Delete(&siteMemberRow{}).Error; err != nil {
			return err
		}
		seen := map[int64]bool{}
		for _, r := range u.Sites {
			if seen[r.SiteID] {
				continue
			}
			seen[r.SiteID] = true
			check := cms.User{Username: "x", Role: r.Role, Level: r.Level}
			if err := check.Validate(); err != nil {
				return siteRoleInvalid(err)
			}
			if err := checkRefs(tx, ref{&r.SiteID, "sites", "sites", "站点不存在"}); err != nil {
				return err
			}
			if err := tx.Create(&siteMemberRow{UserID: id, SiteID: r.SiteID, Role: string(check.Role), Level: check.Level}).Error; err != nil {
				return err
			}
		}
		return nil
	}
	site := siteCtx(ctx)
	if err := tx.Where("user_id = ? AND site_id = ?", id, site).Delete(&siteMemberRow{}).Error; err != nil {
		return err
	}
	if u.Role == "" {
		return nil
	}
	return tx.Create(&siteMemberRow{UserID: id, SiteID: site, Role: string(u.Role), Level: u.Level}).Error
}

func siteRoleInvalid(err error) error {
	var ce *cms.Error
	if errors.As(err, &ce) && len(ce.Fields) > 0 {
		for _, v := range ce.Fields {
			return cms.Invalid(map[string]string{"sites": v})
		}
	}
	return err
}

// rolesFromSites makes u's role the one its Sites give it in the site ctx
// acts in, when a platform admin gives roles per site: none there leaves
// the user without a role in this site.
func rolesFromSites(ctx context.Context, u *cms.User) {
	if u.Sites == nil || !isPlatformAdmin(ctx) || u.PlatformAdmin {
		return
	}
	u.Role, u.Level = "", 0
	for _, r := range u.Sites {
		if r.SiteID == siteCtx(ctx) {
			u.Role, u.Level = r.Role, r.Level
		}
	}
}

// validateUser is User.Validate for a user who may have no role in the
// site at hand (a platform admin gives roles in other sites only): the
// roles per site are checked by setMembership.
func validateUser(u cms.User) error {
	if u.Role == "" && u.Sites != nil {
		u.Role, u.Level = cms.RoleEditor, 0
	}
	return u.Validate()
}
