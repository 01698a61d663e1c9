package store

import (
	"errors"
	"regexp"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

// MySQL server error numbers we translate.
const (
	mysqlDuplicate     = 1062
	mysqlDeadlock      = 1213
	mysqlLockWait      = 1205
	mysqlFKParent      = 1451 // a row is still referenced
	mysqlFKChild       = 1452 // a reference points nowhere
	mysqlDataTooLong   = 1406
	sqliteBusyMessage  = "database is locked"
	sqliteUniqueNeedle = "UNIQUE constraint failed: "
)

// uniqueFields says, for each column that has a unique index, which field
// the user should change and how the complaint reads. Longer column names
// come first: index names are matched by suffix.
var uniqueFields = []struct{ column, field, message string }{
	{"token_hash", "token", "令牌冲突，请重试"},
	{"username", "username", "用户名已被使用"},
	{"slug", "slug", "链接名已被使用"},
	{"hash", "hash", "相同的文件已上传过"},
}

// mysqlKey pulls the index name out of "Duplicate entry 'x' for key 'stories.ux_stories_slug'".
var mysqlKey = regexp.MustCompile(`for key '(?:[^'.]*\.)?([^']*)'`)

// translate turns driver errors into cms errors. *cms.Error values pass
// through; anything it does not recognise is returned as is, which callers
// report as EINTERNAL without showing its text.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var ce *cms.Error
	if errors.As(err, &ce) {
		return err
	}
	if column, ok := uniqueViolation(err); ok {
		for _, f := range uniqueFields {
			if f.column == column {
				return &cms.Error{Code: cms.ECONFLICT, Message: f.message, Fields: map[string]string{f.field: f.message}}
			}
		}
		return cms.Errorf(cms.ECONFLICT, "数据重复，请检查后再试")
	}
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case mysqlDeadlock, mysqlLockWait:
			return cms.Errorf(cms.ECONFLICT, "数据正被他人同时修改，请稍后重试")
		case mysqlFKParent:
			return cms.Errorf(cms.ECONFLICT, "该记录仍被其他内容引用，不能删除")
		case mysqlFKChild:
			return cms.Errorf(cms.EINVALID, "引用的记录不存在")
		case mysqlDataTooLong:
			return cms.Errorf(cms.EINVALID, "内容过长")
		}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "FOREIGN KEY constraint failed"):
		return cms.Errorf(cms.ECONFLICT, "引用的记录不存在或仍被其他内容引用")
	case strings.Contains(msg, sqliteBusyMessage):
		return cms.Errorf(cms.EUNAVAILABLE, "数据库繁忙，请稍后重试")
	}
	return err
}

// uniqueViolation reports whether err is a unique-key violation and on
// which column (index names follow ux_<table>_<column>).
func uniqueViolation(err error) (column string, ok bool) {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		if me.Number != mysqlDuplicate {
			return "", false
		}
		m := mysqlKey.FindStringSubmatch(me.Message)
		if m == nil {
			return "", true
		}
		return indexColumn(m[1]), true
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return "", true
	}
	msg := err.Error()
	i := strings.Index(msg, sqliteUniqueNeedle)
	if i < 0 {
		return "", false
	}
	// "UNIQUE constraint failed: stories.slug (2067)" or "t.a, t.b"
	// The last column names the field: a unique key within a site is
	// (site_id, slug).
	rest := msg[i+len(sqliteUniqueNeedle):]
	if j := strings.Index(rest, " ("); j >= 0 {
		rest = rest[:j]
	}
	if j := strings.LastIndex(rest, ", "); j >= 0 {
		rest = rest[j+2:]
	}
	if j := strings.LastIndexByte(rest, '.'); j >= 0 {
		rest = rest[j+1:]
	}
	return rest, true
}

// indexColumn maps an index name like ux_story_slugs_slug to "slug".
func indexColumn(index string) string {
	for _, f := range uniqueFields {
		if strings.HasSuffix(index, "_"+f.column) {
			return f.column
		}
	}
	return index
}

// collect merges the fields of an EINVALID error into fields.
func collect(fields map[string]string, err error) {
	var ce *cms.Error
	if errors.As(err, &ce) {
		for k, v := range ce.Fields {
			fields[k] = v
		}
	}
}

// invalid is EINVALID naming fields, or nil when there are none.
func invalid(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	return cms.Invalid(fields)
}

// notFound turns gorm.ErrRecordNotFound into ENOTFOUND with msg.
func notFound(err error, msg string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return cms.Errorf(cms.ENOTFOUND, "%s", msg)
	}
	return err
}
