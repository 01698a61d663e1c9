package store

import (
	"context"
	"strings"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/markup"
)

// FindProjectByID returns ENOTFOUND if there is no such project.
func (db *DB) FindProjectByID(ctx context.Context, id int64) (p *cms.Project, err error) {
	defer cms.Wrap(&err, "FindProjectByID(%d)", id)
	row, err := findProject(db.read(ctx), "id = ?", id)
	if err != nil {
		return nil, err
	}
	return row.toCMS(), nil
}

// FindProjectBySlug returns ENOTFOUND if there is no such project.
func (db *DB) FindProjectBySlug(ctx context.Context, slug string) (p *cms.Project, err error) {
	defer cms.Wrap(&err, "FindProjectBySlug(%q)", slug)
	row, err := findProject(db.read(ctx), "slug = ?", slug)
	if err != nil {
		return nil, err
	}
	return row.toCMS(), nil
}

func findProject(tx *gorm.DB, where string, arg any) (*projectRow, error) {
	var row projectRow
	if err := tx.Where(where, arg).Take(&row).Error; err != nil {
		return nil, notFound(err, "项目不存在")
	}
	return &row, nil
}

// FindProjects returns a page of projects ordered by position, id.
func (db *DB) FindProjects(ctx context.Context, f cms.ProjectFilter) (projects []*cms.Project, total int, err error) {
	defer cms.Wrap(&err, "FindProjects")
	q := db.read(ctx).Model(&projectRow{})
	if f.Kind != "" {
		q = q.Where("kind = ?", string(f.Kind))
	}
	if f.Area != "" {
		q = q.Where("area = ?", string(f.Area))
	}
	if f.ParentID != nil {
		if *f.ParentID == 0 {
			q = q.Where("parent_id IS NULL")
		} else {
			q = q.Where("parent_id = ?", *f.ParentID)
		}
	}
	var rows []projectRow
	n, err := findPage(q, f.Page, "position, id", &rows)
	if err != nil {
		return nil, 0, err
	}
	return convert(rows, (*projectRow).toCMS), n, nil
}

func normalizeProject(p *cms.Project) {
	p.Name = strings.TrimSpace(p.Name)
	p.Slug = strings.TrimSpace(p.Slug)
	p.Summary = strings.TrimSpace(p.Summary)
	p.Intro = markup.Sanitize(p.Intro)
	for _, id := range []**int64{&p.CoverMediaID, &p.ParentID, &p.BrandID} {
		if *id != nil && **id == 0 {
			*id = nil
		}
	}
}

func validateProject(p *cms.Project) error {
	fields := map[string]string{}
	collect(fields, p.Validate())
	checkSlugLen(p.Slug, fields)
	if p.ParentID != nil && p.ID != 0 && *p.ParentID == p.ID {
		fields["parent_id"] = "项目不能以自己为上级项目"
	}
	return invalid(fields)
}

// checkProjectRefs checks the brand, parent and cover a project names.
func checkProjectRefs(tx *gorm.DB, p *cms.Project) error {
	err := checkRefs(tx, ref{p.BrandID, "brands", "brand_id", "所属品牌不存在"},
		ref{p.ParentID, "projects", "parent_id", "上级项目不存在"},
		ref{p.CoverMediaID, "media", "cover_media_id", "封面图片不存在"})
	if err != nil {
		return err
	}
	if p.ParentID != nil && p.ID != 0 {
		// Walk up from the new parent: meeting p means a cycle.
		seen := map[int64]bool{}
		for id := p.ParentID; id != nil; {
			if *id == p.ID {
				return cms.Invalid(map[string]string{"parent_id": "上级项目不能是它自己的下级项目"})
			}
			if seen[*id] {
				break
			}
			seen[*id] = true
			var parent projectRow
			if err := tx.Select("id, parent_id").Take(&parent, *id).Error; err != nil {
				return notFound(err, "上级项目不存在")
			}
			id = parent.ParentID
		}
	}
	return nil
}

// CreateProject saves p at version 1; an empty slug is derived from the name.
func (db *DB) CreateProject(ctx context.Context, p *cms.Project) (err error) {
	defer cms.Wrap(&err, "CreateProject")
	in := *p
	in.ID = 0
	normalizeProject(&in)
	if err := validateProject(&in); err != nil {
		return err
	}
	a := actorOf(ctx)
	var row projectRow
	err = db.txSlug(ctx, in.Slug == "", func(tx *gorm.DB) error {
		if err := checkProjectRefs(tx, &in); err != nil {
			return err
		}
		var err error
		row, err = db.insertProject(tx, &in, a)
		return err
	})
	if err != nil {
		return err
	}
	*p = *row.toCMS()
	return nil
}

// insertProject writes a validated project and its audit event.
func (db *DB) insertProject(tx *gorm.DB, p *cms.Project, a actor) (projectRow, error) {
	now := db.now()
	p.Version, p.CreatedAt, p.UpdatedAt = 1, now, now
	row := projectRowOf(p)
	switch {
	case row.Slug != "":
		if taken, err := projectSlugs.taken(tx, row.Slug, 0); err != nil {
			return row, err
		} else if taken {
			return row, slugConflict()
		}
	case baseSlug(row.Name) != "":
		s, err := projectSlugs.unique(tx, baseSlug(row.Name), 0, nil)
		if err != nil {
			return row, err
		}
		row.Slug = s
	default:
		row.Slug = placeholderSlug()
	}
	if err := tx.Create(&row).Error; err != nil {
		return row, err
	}
	if strings.HasPrefix(row.Slug, "pending-") {
		s, err := projectSlugs.unique(tx, "project-"+itoa(row.ID), row.ID, nil)
		if err != nil {
			return row, err
		}
		row.Slug = s
		if err := tx.Model(&projectRow{}).Where("id = ?", row.ID).Update("slug", s).Error; err != nil {
			return row, err
		}
	}
	return row, db.audit(tx, a, event{action: "project.create", object: object("project", row.ID),
		after: row.toCMS(), detail: row.Name})
}

// UpdateProject applies u when u.Version is current.
func (db *DB) UpdateProject(ctx context.Context, id int64, u cms.ProjectUpdate) (p *cms.Project, err error) {
	defer cms.Wrap(&err, "UpdateProject(%d)", id)
	a := actorOf(ctx)
	return updateVersioned(ctx, db, versionedUpdate[projectRow, *cms.Project]{
		id: id, version: u.Version, missing: "项目不存在", stale: "项目已被他人修改，请刷新后再改",
		change: func(tx *gorm.DB, row *projectRow) (map[string]any, error) {
			next := row.toCMS()
			u.Apply(next)
			normalizeProject(next)
			if next.Slug == "" {
				next.Slug = row.Slug
			}
			if err := validateProject(next); err != nil {
				return nil, err
			}
			if err := checkProjectRefs(tx, next); err != nil {
				return nil, err
			}
			if next.Slug != row.Slug {
				if taken, err := projectSlugs.taken(tx, next.Slug, id); err != nil {
					return nil, err
				} else if taken {
					return nil, slugConflict()
				}
			}
			nr := projectRowOf(next)
			return map[string]any{
				"brand_id": nr.BrandID, "parent_id": nr.ParentID, "name": nr.Name, "slug": nr.Slug, "kind": nr.Kind,
				"area": nr.Area, "summary": nr.Summary, "intro": nr.Intro, "cover_media_id": nr.CoverMediaID,
				"position": nr.Position,
			}, nil
		},
		done: func(tx *gorm.DB, before *cms.Project, row *projectRow) error {
			return db.audit(tx, a, event{action: "project.update", object: object("project", id), before: before,
				after: row.toCMS(), detail: row.Name})
		},
	})
}

// DeleteProject removes a project that has no stories and no sub-projects.
func (db *DB) DeleteProject(ctx context.Context, id int64) (err error) {
	defer cms.Wrap(&err, "DeleteProject(%d)", id)
	a := actorOf(ctx)
	return db.tx(ctx, func(tx *gorm.DB) error {
		row, err := findProject(tx, "id = ?", id)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&storyRow{}).Where("project_id = ?", id).Count(&n).Error; err != nil {
			return err
		} else if n > 0 {
			return cms.Errorf(cms.ECONFLICT, "该项目下还有%d篇稿件，不能删除", n)
		}
		if err := tx.Model(&liveRow{}).Where("project_id = ?", id).Count(&n).Error; err != nil {
			return err
		} else if n > 0 {
			return cms.Errorf(cms.ECONFLICT, "该项目下还有已发布的稿件，不能删除")
		}
		if err := tx.Model(&projectRow{}).Where("parent_id = ?", id).Count(&n).Error; err != nil {
			return err
		} else if n > 0 {
			return cms.Errorf(cms.ECONFLICT, "该项目还有%d个下级项目，不能删除", n)
		}
		if err := tx.Delete(&projectRow{}, id).Error; err != nil {
			return err
		}
		return db.audit(tx, a, event{action: "project.delete", object: object("project", id), before: row.toCMS(),
			detail: row.Name})
	})
}

// FindBrands returns every brand in creation order.
func (db *DB) FindBrands(ctx context.Context) (brands []*cms.Brand, err error) {
	defer cms.Wrap(&err, "FindBrands")
	var rows []brandRow
	if err := db.read(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	return convert(rows, (*brandRow).toCMS), nil
}

func normalizeBrand(b *cms.Brand) {
	b.Name = strings.TrimSpace(b.Name)
	b.Slogan = strings.TrimSpace(b.Slogan)
	b.Intro = markup.Sanitize(b.Intro)
	if b.LogoMediaID != nil && *b.LogoMediaID == 0 {
		b.LogoMediaID = nil
	}
}

func checkBrandLogo(tx *gorm.DB, b *cms.Brand) error {
	return checkRefs(tx, ref{b.LogoMediaID, "media", "logo_media_id", "标志图片不存在"})
}

// CreateBrand saves b.
func (db *DB) CreateBrand(ctx context.Context, b *cms.Brand) (err error) {
	defer cms.Wrap(&err, "CreateBrand")
	in := *b
	normalizeBrand(&in)
	if err := in.Validate(); err != nil {
		return err
	}
	a := actorOf(ctx)
	now := db.now()
	row := brandRow{Name: in.Name, Slogan: in.Slogan, Intro: in.Intro, LogoMediaID: in.LogoMediaID, Version: 1, CreatedAt: now, UpdatedAt: now}
	err = db.tx(ctx, func(tx *gorm.DB) error {
		if err := checkBrandLogo(tx, &in); err != nil {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return db.audit(tx, a, event{action: "brand.create", object: object("brand", row.ID), after: row.toCMS(), detail: row.Name})
	})
	if err != nil {
		return err
	}
	*b = *row.toCMS()
	return nil
}

// UpdateBrand replaces the fields of brand b.ID.
func (db *DB) UpdateBrand(ctx context.Context, b *cms.Brand) (err error) {
	defer cms.Wrap(&err, "UpdateBrand(%d)", b.ID)
	in := *b
	normalizeBrand(&in)
	if err := in.Validate(); err != nil {
		return err
	}
	a := actorOf(ctx)
	out, err := updateVersioned(ctx, db, versionedUpdate[brandRow, *cms.Brand]{
		id: in.ID, version: in.Version, missing: "品牌不存在", stale: "品牌已被他人修改，请刷新后再改",
		change: func(tx *gorm.DB, _ *brandRow) (map[string]any, error) {
			if err := checkBrandLogo(tx, &in); err != nil {
				return nil, err
			}
			return map[string]any{"name": in.Name, "slogan": in.Slogan, "intro": in.Intro, "logo_media_id": in.LogoMediaID}, nil
		},
		done: func(tx *gorm.DB, before *cms.Brand, row *brandRow) error {
			return db.audit(tx, a, event{action: "brand.update", object: object("brand", row.ID), before: before,
				after: row.toCMS(), detail: row.Name})
		},
	})
	if err != nil {
		return err
	}
	*b = *out
	return nil
}
