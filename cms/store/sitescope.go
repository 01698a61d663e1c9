package store

import (
	"context"
	"fmt"
	"reflect"
	"regexp"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"

	"github.com/huimin/huimin/cms"
)

// Many sites share one database (issue 15). Every table that holds a site's
// data has a site_id column, and no query may read or change another
// site's rows. Rather than trusting each of some hundreds of queries to
// remember a WHERE clause, GORM callbacks add it: a query, update or delete
// of a site-owned table gets "site_id = <the site of the context>", and a
// create sets the row's SiteID. The site comes from the context the store
// method was called with (cms.NewContextWithSite; the default site when
// none is set). Only cms.NewContextAllSites lifts the scope, for what is
// platform-wide by nature.
//
// The callbacks cannot see inside raw SQL (db.Raw, tx.Exec): the few such
// statements on site-owned tables add the condition themselves, with
// siteOf(tx).

// siteTables are the site-owned tables.
var siteTables = map[string]bool{
	"settings": true, "media": true, "brands": true, "projects": true, "stories": true,
	"story_revisions": true, "story_live": true, "story_tags": true, "story_slugs": true,
	"sign_offs": true, "builds": true, "audit_events": true, "pages": true,
	"dictionary_terms": true, "content_version": true, "api_keys": true, "wechat_drafts": true,
	"interact_settings": true, "messages": true, "ratings": true, "inspection_settings": true,
	"highlights": true,
}

// siteOf returns the site a statement acts in.
func siteOf(tx *gorm.DB) int64 { return cms.SiteIDFromContext(tx.Statement.Context) }

// siteCtx returns the site a context acts in.
func siteCtx(ctx context.Context) int64 { return cms.SiteIDFromContext(ctx) }

// tableExprRe takes the table name out of Table("story_live AS l").
var tableExprRe = regexp.MustCompile("^\\s*`?(\\w+)`?")

// scopedTable returns the site-owned table a statement works on, or "".
func scopedTable(stmt *gorm.Statement) string {
	if cms.AllSitesFromContext(stmt.Context) {
		return ""
	}
	name := stmt.Table
	if stmt.Schema != nil {
		name = stmt.Schema.Table
	}
	if stmt.TableExpr != nil {
		if m := tableExprRe.FindStringSubmatch(stmt.TableExpr.SQL); m != nil {
			name = m[1]
		}
	}
	if siteTables[name] {
		return name
	}
	return ""
}

// scopeWhere adds "<table or alias>.site_id = ?" to a query, update or delete.
func scopeWhere(tx *gorm.DB) {
	if tx.Error != nil || tx.Statement.SQL.Len() > 0 { // raw SQL is on its own
		return
	}
	if scopedTable(tx.Statement) == "" {
		return
	}
	tx.Statement.AddClause(clause.Where{Exprs: []clause.Expression{
		clause.Eq{Column: clause.Column{Table: tx.Statement.Table, Name: "site_id"}, Value: siteOf(tx)},
	}})
}

// scopeUpdate is scopeWhere for updates, and also keeps a struct that an
// update writes whole (Select("*").Updates(&row)) in its site.
func scopeUpdate(tx *gorm.DB) {
	scopeWhere(tx)
	if tx.Error != nil || tx.Statement.SQL.Len() > 0 || scopedTable(tx.Statement) == "" {
		return
	}
	dest := reflect.ValueOf(tx.Statement.Dest)
	for dest.Kind() == reflect.Pointer && !dest.IsNil() {
		dest = dest.Elem()
	}
	if dest.Kind() != reflect.Struct || !dest.CanAddr() {
		return
	}
	if f := dest.FieldByName("SiteID"); f.IsValid() && f.CanSet() && f.Kind() == reflect.Int64 {
		f.SetInt(siteOf(tx))
	}
}

// scopeCreate sets SiteID on the rows a create inserts. A site-owned table
// whose row type has no SiteID field is a programming error: the row would
// land in the default site.
func scopeCreate(tx *gorm.DB) {
	if tx.Error != nil || tx.Statement.SQL.Len() > 0 {
		return
	}
	table := scopedTable(tx.Statement)
	if table == "" {
		return
	}
	s := tx.Statement.Schema
	var f *schema.Field
	if s != nil {
		f = s.LookUpField("SiteID")
	}
	if f == nil {
		tx.AddError(fmt.Errorf("store: %s is site-owned but its row type %T has no SiteID", table, tx.Statement.Model))
		return
	}
	site := siteOf(tx)
	rv := tx.Statement.ReflectValue
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			if err := f.Set(tx.Statement.Context, reflect.Indirect(rv.Index(i)), site); err != nil {
				tx.AddError(err)
				return
			}
		}
	case reflect.Struct:
		if err := f.Set(tx.Statement.Context, rv, site); err != nil {
			tx.AddError(err)
		}
	default:
		tx.AddError(fmt.Errorf("store: create in site-owned %s from a %s", table, rv.Kind()))
	}
}

// watchSites registers the scoping callbacks on g.
func watchSites(g *gorm.DB) error {
	cb := g.Callback()
	for _, r := range []struct {
		name string
		err  error
	}{
		{"query", cb.Query().Before("gorm:query").Register("huimin:site_scope", scopeWhere)},
		{"row", cb.Row().Before("gorm:row").Register("huimin:site_scope", scopeWhere)},
		{"update", cb.Update().Before("gorm:update").Register("huimin:site_scope", scopeUpdate)},
		{"delete", cb.Delete().Before("gorm:delete").Register("huimin:site_scope", scopeWhere)},
		{"create", cb.Create().Before("gorm:create").Register("huimin:site_scope", scopeCreate)},
	} {
		if r.err != nil {
			return fmt.Errorf("register site scope on %s: %w", r.name, r.err)
		}
	}
	return nil
}
