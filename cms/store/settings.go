package store

import (
	"context"
	"errors"
	"strings"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/markup"
)

func defaultSettings(site int64) settingsRow {
	return settingsRow{ID: site, SiteID: site, SiteName: "惠民", ReviewStages: 3, Version: 1}
}

func findSettings(tx *gorm.DB) (settingsRow, error) {
	var row settingsRow
	err := tx.Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return defaultSettings(siteOf(tx)), nil
	}
	return row, err
}

// FindSettings returns the site settings, secret included (cms.Settings
// hides it from JSON).
func (db *DB) FindSettings(ctx context.Context) (s *cms.Settings, err error) {
	defer cms.Wrap(&err, "FindSettings")
	row, err := findSettings(db.read(ctx))
	if err != nil {
		return nil, err
	}
	if row.WechatSecret, err = db.keys.open(placeWechatSecret, row.WechatSecret); err != nil {
		return nil, err
	}
	return row.toCMS(), nil
}

// UpdateSettings applies u when u.Version is current. Unlike the other
// optimistic updates it is not an updateVersioned: the one settings row is
// put back if a damaged database lost it, and its secret is stored sealed.
func (db *DB) UpdateSettings(ctx context.Context, u cms.SettingsUpdate) (s *cms.Settings, err error) {
	defer cms.Wrap(&err, "UpdateSettings")
	a := actorOf(ctx)
	var out settingsRow
	err = db.tx(ctx, func(tx *gorm.DB) error {
		row, err := findSettings(tx)
		if err != nil {
			return err
		}
		if row.Version != u.Version {
			return errStale
		}
		if row.WechatSecret, err = db.keys.open(placeWechatSecret, row.WechatSecret); err != nil {
			return err
		}
		before := row.toCMS()
		next := row.toCMS()
		u.Apply(next)
		for _, p := range []*string{&next.SiteName, &next.Organizer, &next.Contact, &next.ICP, &next.PoliceRecord,
			&next.GovSiteCode, &next.BaseURL, &next.WechatAppID, &next.WechatSecret, &next.WechatVerifyFile} {
			*p = strings.TrimSpace(*p)
		}
		next.BaseURL = strings.TrimRight(next.BaseURL, "/")
		next.WechatSecretSet = next.WechatSecret != ""
		if err := next.Validate(); err != nil {
			return err
		}
		out = settingsRow{ID: row.ID, SiteID: row.SiteID, SiteName: next.SiteName, Organizer: next.Organizer, Contact: next.Contact,
			ICP: next.ICP, PoliceRecord: next.PoliceRecord, GovSiteCode: next.GovSiteCode, BaseURL: next.BaseURL,
			WechatAppID: next.WechatAppID, WechatSecret: next.WechatSecret, WechatVerifyFile: next.WechatVerifyFile,
			WechatOpenComment: next.WechatOpenComment,
			ReviewStages:      next.ReviewStages,
			Version:           row.Version + 1, UpdatedAt: db.now()}
		// Save writes every column, inserting the row if a damaged database
		// lost it; the secret sealed.
		stored := out
		stored.WechatSecret = db.keys.seal(placeWechatSecret, out.WechatSecret)
		res := tx.Model(&settingsRow{}).Where("version = ?", u.Version).Select("*").Updates(&stored)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			if err := tx.Create(&stored).Error; err != nil {
				return errStale
			}
		}
		// The platform's list of sites shows the site by this name.
		if next.SiteName != before.SiteName {
			if err := tx.Model(&siteRow{}).Where("id = ?", siteOf(tx)).Update("name", next.SiteName).Error; err != nil {
				return err
			}
		}
		return db.audit(tx, a, event{action: "settings.update", object: "settings", before: before,
			after: out.toCMS(), detail: changedSettings(before, out.toCMS())})
	})
	if errors.Is(err, errStale) {
		cur, ferr := db.FindSettings(ctx)
		if ferr != nil {
			return nil, ferr
		}
		return nil, &cms.Error{Code: cms.ECONFLICT, Message: "设置已被他人修改，请刷新后再改", Current: cur}
	}
	if err != nil {
		return nil, err
	}
	return out.toCMS(), nil
}

// changedSettings names the fields that differ, never their values (the
// WeChat secret must not reach the audit trail).
func changedSettings(a, b *cms.Settings) string {
	var changed []string
	for _, f := range []struct {
		name string
		a, b any
	}{
		{"站点名称", a.SiteName, b.SiteName}, {"主办单位", a.Organizer, b.Organizer}, {"联系方式", a.Contact, b.Contact},
		{"ICP备案号", a.ICP, b.ICP}, {"公安备案号", a.PoliceRecord, b.PoliceRecord},
		{"政府网站标识码", a.GovSiteCode, b.GovSiteCode}, {"网站地址", a.BaseURL, b.BaseURL},
		{"审核级数", a.ReviewStages, b.ReviewStages},
		{"微信公众号AppID", a.WechatAppID, b.WechatAppID}, {"微信公众号密钥", a.WechatSecret, b.WechatSecret},
		{"微信域名验证文件", a.WechatVerifyFile, b.WechatVerifyFile},
		{"公众号草稿开启留言", a.WechatOpenComment, b.WechatOpenComment},
	} {
		if f.a != f.b {
			changed = append(changed, f.name)
		}
	}
	return strings.Join(changed, "、")
}

// FindPages returns the standing pages in display order.
func (db *DB) FindPages(ctx context.Context) (pages []*cms.StandingPage, err error) {
	defer cms.Wrap(&err, "FindPages")
	var rows []pageRow
	if err := db.read(ctx).Order("position, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	return convert(rows, (*pageRow).toCMS), nil
}

// SavePage creates p, or updates it when p.ID is set and p.Version is current.
func (db *DB) SavePage(ctx context.Context, p *cms.StandingPage) (err error) {
	defer cms.Wrap(&err, "SavePage(%d)", p.ID)
	in := *p
	in.Title = strings.TrimSpace(in.Title)
	in.Slug = strings.TrimSpace(in.Slug)
	in.Body = markup.Sanitize(in.Body)
	fields := map[string]string{}
	collect(fields, in.Validate())
	checkSlugLen(in.Slug, fields)
	if len(fields) > 0 {
		return cms.Invalid(fields)
	}
	a := actorOf(ctx)
	if in.ID != 0 {
		out, err := updateVersioned(ctx, db, versionedUpdate[pageRow, *cms.StandingPage]{
			id: in.ID, version: in.Version, missing: "页面不存在", stale: "页面已被他人修改，请刷新后再改",
			change: func(*gorm.DB, *pageRow) (map[string]any, error) {
				return map[string]any{"slug": in.Slug, "title": in.Title, "body": in.Body, "position": in.Position}, nil
			},
			done: func(tx *gorm.DB, before *cms.StandingPage, row *pageRow) error {
				return db.audit(tx, a, event{action: "page.update", object: object("page", row.ID), before: before,
					after: row.toCMS(), detail: row.Title})
			},
		})
		if err != nil {
			return err
		}
		*p = *out
		return nil
	}
	now := db.now()
	var out pageRow
	err = db.tx(ctx, func(tx *gorm.DB) error {
		out = pageRow{Slug: in.Slug, Title: in.Title, Body: in.Body, Position: in.Position, Version: 1,
			CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&out).Error; err != nil {
			return err
		}
		return db.audit(tx, a, event{action: "page.create", object: object("page", out.ID), after: out.toCMS(), detail: out.Title})
	})
	if err != nil {
		return err
	}
	*p = *out.toCMS()
	return nil
}

// DeletePage removes a standing page.
func (db *DB) DeletePage(ctx context.Context, id int64) (err error) {
	defer cms.Wrap(&err, "DeletePage(%d)", id)
	a := actorOf(ctx)
	return db.tx(ctx, func(tx *gorm.DB) error {
		var row pageRow
		if err := tx.Take(&row, id).Error; err != nil {
			return notFound(err, "页面不存在")
		}
		if err := tx.Delete(&pageRow{}, id).Error; err != nil {
			return err
		}
		return db.audit(tx, a, event{action: "page.delete", object: object("page", id), before: row.toCMS(), detail: row.Title})
	})
}
