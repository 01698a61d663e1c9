package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
)

// actor is who a change is attributed to in sign-offs, revisions and the
// audit trail: the user in the context, or the system (CLI, scheduler).
type actor struct {
	id   int64
	name string
}

var systemActor = actor{id: 0, name: "system"}

func actorOf(ctx context.Context) actor {
	u := cms.UserFromContext(ctx)
	if u == nil {
		return systemActor
	}
	return actor{id: u.ID, name: orName(u.Name, u.Username)}
}

// orName is a user's name, or their username when the name is blank.
func orName(name, username string) string {
	if strings.TrimSpace(name) != "" {
		return name
	}
	return username
}

// event is one audit entry about to be written.
type event struct {
	action string // "story.update"
	object string // "story:12"
	before any    // the object before the change; nil when created
	after  any    // the object after; nil when deleted
	detail string
}

// audit appends e inside tx. There is deliberately no function that updates
// or deletes audit rows.
func (db *DB) audit(tx *gorm.DB, a actor, e event) error {
	return tx.Create(&auditRow{
		ActorID: a.id, ActorName: a.name, Action: e.action, Object: e.object,
		BeforeDigest: digest(e.before), AfterDigest: digest(e.after),
		Detail: clip(e.detail, 2000), CreatedAt: db.now(),
	}).Error
}

func object(kind string, id int64) string { return fmt.Sprintf("%s:%d", kind, id) }

// digest is the first 16 hex digits of the SHA-256 of v's JSON: enough to
// tell whether two audit entries saw the same state, without copying the
// content (or anything json:"-" hides, such as secrets) into the trail.
func digest(v any) string {
	if v == nil {
		return ""
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return ""
	}
	b, err := marshalJSON(v)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// FindAuditEvents returns events oldest first and the total.
func (db *DB) FindAuditEvents(ctx context.Context, f cms.AuditFilter) (events []*cms.AuditEvent, total int, err error) {
	defer cms.Wrap(&err, "FindAuditEvents")
	q := db.read(ctx).Model(&auditRow{})
	if f.Object != "" {
		q = q.Where("object = ?", f.Object)
	}
	if f.ActorID != 0 {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.Since != nil {
		q = q.Where("created_at >= ?", utc(*f.Since))
	}
	if f.Until != nil {
		q = q.Where("created_at < ?", utc(*f.Until))
	}
	order := "id"
	if f.NewestFirst {
		order = "id DESC"
	}
	var rows []auditRow
	n, err := findPage(q, f.Page, order, &rows)
	if err != nil {
		return nil, 0, err
	}
	return convert(rows, (*auditRow).toCMS), n, nil
}
