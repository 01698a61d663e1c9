package store

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/wording"
)

var _ cms.InteractService = (*DB)(nil)

// Ratings and messages of the public (issue 17). A message's phone number
// is sealed with the secrets' key (seal.go), bound to the message's 查询码,
// so the database alone never shows it.

type messageRow struct {
	SiteID        int64 // the site the row belongs to (sitescope.go)
	ID            int64
	Code          string
	Category      string
	ProjectID     int64
	Text          string
	Name          string
	Phone         string
	Public        bool
	RatingID      int64
	Flags         string
	State         string
	AssigneeID    int64
	AssigneeName  string
	Reply         string
	Reason        string
	PublishState  string
	ReviewStage   int
	ReviewComment string
	DueAt         time.Time
	HardDueAt     time.Time
	AcceptedAt    *time.Time
	ClosedAt      *time.Time
	PublishedAt   *time.Time
	Anonymised    bool
	Version       int
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (messageRow) TableName() string { return "messages" }

// toCMS leaves Phone and ProjectName empty: the store fills them in
// (message), as only it holds the key.
func (r *messageRow) toCMS() *cms.Message {
	m := &cms.Message{ID: r.ID, Code: r.Code, Category: r.Category, ProjectID: r.ProjectID, Text: r.Text,
		Name: r.Name, Public: r.Public, RatingID: r.RatingID, State: r.State, AssigneeID: r.AssigneeID,
		AssigneeName: r.AssigneeName, Reply: r.Reply, Reason: r.Reason, PublishState: r.PublishState,
		ReviewStage: r.ReviewStage, ReviewComment: r.ReviewComment, DueAt: r.DueAt, HardDueAt: r.HardDueAt, AcceptedAt: r.AcceptedAt,
		ClosedAt: r.ClosedAt, PublishedAt: r.PublishedAt, Anonymised: r.Anonymised, Version: r.Version,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Flags: []string{}}
	_ = json.Unmarshal([]byte(r.Flags), &m.Flags)
	return m
}

type ratingRow struct {
	SiteID     int64 // the site the row belongs to (sitescope.go)
	ID         int64
	ProjectID  int64
	StoryID    int64
	Month      string
	Level      int
	Comment    string
	Service    string
	FollowUpID int64
	CreatedAt  time.Time
}

func (ratingRow) TableName() string { return "ratings" }

func (r *ratingRow) toCMS() *cms.Rating {
	return &cms.Rating{ID: r.ID, ProjectID: r.ProjectID, StoryID: r.StoryID, Level: r.Level, Comment: r.Comment,
		Service: r.Service, FollowUpID: r.FollowUpID, CreatedAt: r.CreatedAt}
}

type formNonceRow struct {
	Nonce     string
	CreatedAt time.Time
}

func (formNonceRow) TableName() string { return "form_nonces" }

type interactSettingsRow struct {
	SiteID        int64 // the site the row belongs to (sitescope.go)
	ID            int64
	DueDays       int
	Holidays      string
	MakeupDays    string
	RetentionDays int
	Version       int
	UpdatedAt     time.Time
}

func (interactSettingsRow) TableName() string { return "interact_settings" }

func (r *interactSettingsRow) toCMS() *cms.InteractSettings {
	s := &cms.InteractSettings{DueDays: r.DueDays, RetentionDays: r.RetentionDays, Version: r.Version,
		UpdatedAt: r.UpdatedAt, Holidays: []string{}, MakeupDays: []string{}}
	_ = json.Unmarshal([]byte(r.Holidays), &s.Holidays)
	_ = json.Unmarshal([]byte(r.MakeupDays), &s.MakeupDays)
	return s
}

func placeOfPhone(code string) place {
	return place{"messages.phone:" + code, "留言 " + code + " 的联系电话"}
}

// publicActor is who the audit trail names for what the public submits.
var publicActor = actor{id: 0, name: "public"}

// useNonce records a form token's nonce; a used one is ECONFLICT.
func useNonce(tx *gorm.DB, nonce string, now time.Time) error {
	if nonce == "" {
		return nil
	}
	err := tx.Create(&formNonceRow{Nonce: nonce, CreatedAt: now}).Error
	if err == nil {
		return nil
	}
	if _, dup := uniqueViolation(err); dup {
		return cms.Errorf(cms.ECONFLICT, "这份表单已经提交过了")
	}
	return err
}

// messageCode is a fresh 查询码: 10 characters without look-alikes (0/O, 1/I).
func messageCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 10)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func (db *DB) interactSettings(tx *gorm.DB) (*cms.InteractSettings, error) {
	var row interactSettingsRow
	if err := tx.Take(&row).Error; err != nil {
		return nil, err
	}
	return row.toCMS(), nil
}

// flags returns the dictionary terms found in text, each once.
func flags(tx *gorm.DB, text string) (string, error) {
	dict, err := findTerms(tx)
	if err != nil {
		return "", err
	}
	found := []string{}
	for _, h := range wording.NewMatcher(dict).Find("text", text) {
		if !slices.Contains(found, h.Term) {
			found = append(found, h.Term)
		}
	}
	b, _ := json.Marshal(found)
	return string(b), nil
}

// insertMessage stores a new message with its due dates and sealed phone.
func (db *DB) insertMessage(tx *gorm.DB, row *messageRow) error {
	set, err := db.interactSettings(tx)
	if err != nil {
		return err
	}
	now := db.now()
	if row.Flags, err = flags(tx, row.Text); err != nil {
		return err
	}
	row.Code = messageCode()
	row.Phone = db.keys.seal(placeOfPhone(row.Code), row.Phone)
	row.State, row.Version, row.CreatedAt, row.UpdatedAt = cms.StatePending, 1, now, now
	row.DueAt = set.DueDate(now, set.DueDays)
	row.HardDueAt = now.AddDate(0, cms.HardLimitMonths, 0)
	if err := tx.Create(row).Error; err != nil {
		return err
	}
	return db.audit(tx, publicActor, event{action: "message.create", object: object("message", row.ID),
		after: row.toCMS(), detail: cms.CategoryLabel(row.Category) + " " + row.Code})
}

// projectBySlug returns the id of the project with slug, ENOTFOUND naming
// the field when there is none.
func projectBySlug(tx *gorm.DB, slug string) (int64, error) {
	var p projectRow
	if err := tx.Select("id").Where("slug = ?", slug).Take(&p).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return 0, cms.Invalid(map[string]string{"project": "没有这个服务项目"})
		}
		return 0, err
	}
	return p.ID, nil
}

// CreateRating stores a rating; a 差评 with a phone number opens a
// follow-up message for the project.
func (db *DB) CreateRating(ctx context.Context, in cms.RatingInput) (out *cms.Rating, err error) {
	defer cms.Wrap(&err, "CreateRating")
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var row ratingRow
	err = db.tx(ctx, func(tx *gorm.DB) error {
		now := db.now()
		if err := useNonce(tx, in.Nonce, now); err != nil {
			return err
		}
		row = ratingRow{Level: in.Level, Comment: in.Comment, Service: in.Service, CreatedAt: now,
			Month: now.In(cms.Local).Format("2006-01")}
		if in.StorySlug != "" {
			var live liveRow
			if err := tx.Where("slug = ?", in.StorySlug).Take(&live).Error; err != nil {
				if errors.Is(err, gorm.ErrRecordNotFound) {
					return cms.Invalid(map[string]string{"story": "没有这篇稿件"})
				}
				return err
			}
			row.StoryID, row.ProjectID = live.StoryID, live.ProjectID
		}
		if in.ProjectSlug != "" {
			id, err := projectBySlug(tx, in.ProjectSlug)
			if err != nil {
				return err
			}
			row.ProjectID = id
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if cms.Satisfied(in.Level) || in.Phone == "" {
			return nil
		}
		text := "差评回访：" + cms.LevelLabel(in.Level)
		if in.Service != "" {
			text += "（办理业务：" + in.Service + "）"
		}
		if in.Comment != "" {
			text += "。意见：" + in.Comment
		}
		m := messageRow{Category: cms.CategoryFollowUp, ProjectID: row.ProjectID, Text: text, Name: in.Name,
			Phone: in.Phone, RatingID: row.ID}
		if err := db.insertMessage(tx, &m); err != nil {
			return err
		}
		row.FollowUpID = m.ID
		return tx.Model(&ratingRow{}).Where("id = ?", row.ID).Update("follow_up_id", m.ID).Error
	})
	if err != nil {
		return nil, err
	}
	return row.toCMS(), nil
}

// CreateMessage stores a message and returns it with its 查询码.
func (db *DB) CreateMessage(ctx context.Context, in cms.MessageInput) (out *cms.Message, err error) {
	defer cms.Wrap(&err, "CreateMessage")
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var row messageRow
	err = db.tx(ctx, func(tx *gorm.DB) error {
		if err := useNonce(tx, in.Nonce, db.now()); err != nil {
			return err
		}
		row = messageRow{Category: in.Category, Text: in.Text, Name: in.Name, Phone: in.Phone, Public: in.Public}
		if in.ProjectSlug != "" {
			id, err := projectBySlug(tx, in.ProjectSlug)
			if err != nil {
				return err
			}
			row.ProjectID = id
		}
		return db.insertMessage(tx, &row)
	})
	if err != nil {
		return nil, err
	}
	return db.message(ctx, &row)
}

// message converts row, opening the phone number and naming the project.
func (db *DB) message(ctx context.Context, row *messageRow) (*cms.Message, error) {
	ms, err := db.messages(ctx, []messageRow{*row})
	if err != nil {
		return nil, err
	}
	return ms[0], nil
}

func (db *DB) messages(ctx context.Context, rows []messageRow) ([]*cms.Message, error) {
	ids := []int64{}
	for _, r := range rows {
		if r.ProjectID != 0 {
			ids = append(ids, r.ProjectID)
		}
	}
	names := map[int64]string{}
	if len(ids) > 0 {
		var ps []projectRow
		if err := db.read(ctx).Select("id", "name").Where("id IN ?", ids).Find(&ps).Error; err != nil {
			return nil, err
		}
		for _, p := range ps {
			names[p.ID] = p.Name
		}
	}
	now := db.now()
	out := make([]*cms.Message, len(rows))
	for i := range rows {
		m := rows[i].toCMS()
		phone, err := db.keys.open(placeOfPhone(rows[i].Code), rows[i].Phone)
		if err != nil {
			return nil, err
		}
		m.Phone, m.ProjectName = phone, names[m.ProjectID]
		m.Mark(now)
		out[i] = m
	}
	return out, nil
}

// FindMessageByID returns the message id with its phone number in clear;
// the web layer masks it for those who may not see it.
func (db *DB) FindMessageByID(ctx context.Context, id int64) (out *cms.Message, err error) {
	defer cms.Wrap(&err, "FindMessageByID(%d)", id)
	var row messageRow
	if err := db.read(ctx).Take(&row, id).Error; err != nil {
		return nil, notFound(err, "留言不存在")
	}
	return db.message(ctx, &row)
}

// FindMessages returns the inbox, newest first (the warning queues: the
// oldest deadline first).
func (db *DB) FindMessages(ctx context.Context, f cms.MessageFilter) (out []*cms.Message, total int, err error) {
	defer cms.Wrap(&err, "FindMessages")
	q := db.read(ctx).Model(&messageRow{})
	open := []string{cms.StatePending, cms.StateAccepted}
	now := db.now()
	order := "created_at DESC, id DESC"
	switch f.Queue {
	case "":
	case "overdue":
		q, order = q.Where("state IN ? AND due_at < ?", open, now), "due_at, id"
	case "hard":
		q, order = q.Where("state IN ? AND hard_due_at < ?", open, now.AddDate(0, 0, cms.HardWarnDays)), "hard_due_at, id"
	case "review":
		q, order = q.Where("publish_state = ?", cms.PublishReview), "closed_at, id"
	default:
		return nil, 0, cms.Invalid(map[string]string{"queue": "队列应为 overdue、hard 或 review"})
	}
	if f.State != "" {
		if cms.StateLabel(f.State) == "" {
			return nil, 0, cms.Invalid(map[string]string{"state": "状态应为 pending、accepted、done 或 rejected"})
		}
		q = q.Where("state = ?", f.State)
	}
	if f.ProjectID != 0 {
		q = q.Where("project_id = ?", f.ProjectID)
	}
	var rows []messageRow
	if total, err = findPage(q, f.Page, order, &rows); err != nil {
		return nil, 0, err
	}
	out, err = db.messages(ctx, rows)
	return out, total, err
}

// ActOnMessage takes a step of the handling as the user in ctx.
func (db *DB) ActOnMessage(ctx context.Context, id int64, action string, a cms.MessageAction) (out *cms.Message, err error) {
	defer cms.Wrap(&err, "ActOnMessage(%d, %s)", id, action)
	u := cms.UserFromContext(ctx)
	if u == nil {
		return nil, cms.Errorf(cms.EUNAUTHORIZED, "请先登录")
	}
	who := actorOf(ctx)
	a.Reply, a.Reason = strings.TrimSpace(a.Reply), strings.TrimSpace(a.Reason)
	admin := u.Role == cms.RoleAdmin
	signed := 0 // the review stage an approve or return signs, for the audit trail
	m, err := updateVersioned(ctx, db, versionedUpdate[messageRow, *cms.Message]{
		id: id, version: a.Version, missing: "留言不存在", stale: "留言已被他人处理，请刷新后再试",
		change: func(tx *gorm.DB, row *messageRow) (map[string]any, error) {
			now := db.now()
			handler := admin || (row.AssigneeID != 0 && row.AssigneeID == u.ID)
			open := row.State == cms.StatePending || row.State == cms.StateAccepted
			switch action {
			case cms.ActionAccept:
				if !admin && u.Role != cms.RoleEditor {
					return nil, cms.Errorf(cms.EFORBIDDEN, "只有管理员和编辑可以受理留言")
				}
				if !open {
					return nil, cms.Errorf(cms.ECONFLICT, "留言已%s，不能再受理", cms.StateLabel(row.State))
				}
				var user userRow
				if err := tx.Take(&user, a.AssigneeID).Error; err != nil || user.Disabled {
					return nil, cms.Invalid(map[string]string{"assignee_id": "请选择一位在用的承办人"})
				}
				set := map[string]any{"state": cms.StateAccepted, "assignee_id": user.ID,
					"assignee_name": orName(user.Name, user.Username), "accepted_at": now}
				if a.ProjectID != 0 {
					var p projectRow
					if err := tx.Select("id").Take(&p, a.ProjectID).Error; err != nil {
						return nil, cms.Invalid(map[string]string{"project_id": "没有这个服务项目"})
					}
					set["project_id"] = p.ID
				}
				return set, nil
			case cms.ActionReply:
				reopen := row.State == cms.StateDone && row.PublishState == cms.PublishReturned
				if !open && !reopen {
					return nil, cms.Errorf(cms.ECONFLICT, "留言已%s，不能再答复", cms.StateLabel(row.State))
				}
				if !handler && !(row.AssigneeID == 0 && u.Role == cms.RoleEditor) {
					return nil, cms.Errorf(cms.EFORBIDDEN, "只有承办人和管理员可以答复这条留言")
				}
				f := map[string]string{}
				if a.Reply == "" {
					f["reply"] = "请填写答复内容"
				}
				checkRunes(f, "reply", "答复", a.Reply, cms.MaxReply)
				if a.Publish && !row.Public {
					f["publish"] = "留言人未同意公开，答复不能公开"
				}
				if len(f) > 0 {
					return nil, cms.Invalid(f)
				}
				set := map[string]any{"state": cms.StateDone, "reply": a.Reply, "closed_at": now,
					"publish_state": cms.PublishNone, "review_stage": 0, "review_comment": ""}
				if a.Publish {
					// To be published: the site's review stages, from the first.
					set["publish_state"], set["review_stage"] = cms.PublishReview, 1
				}
				if row.AssigneeID == 0 {
					set["assignee_id"], set["assignee_name"], set["accepted_at"] = u.ID, who.name, now
				}
				if reopen && row.ClosedAt != nil {
					set["closed_at"] = *row.ClosedAt // the answer's time stays the first one
				}
				return set, nil
			case string(cms.ActionReject):
				if !open {
					return nil, cms.Errorf(cms.ECONFLICT, "留言已%s", cms.StateLabel(row.State))
				}
				if !handler && !(row.AssigneeID == 0 && u.Role == cms.RoleEditor) {
					return nil, cms.Errorf(cms.EFORBIDDEN, "只有承办人和管理员可以决定不予受理")
				}
				f := map[string]string{}
				if a.Reason == "" {
					f["reason"] = "请说明不予受理的理由（如不属本单位职责、重复留言、无有效联系方式）"
				}
				checkRunes(f, "reason", "理由", a.Reason, cms.MaxReason)
				if len(f) > 0 {
					return nil, cms.Invalid(f)
				}
				return map[string]any{"state": cms.StateRejected, "reason": a.Reason, "closed_at": now}, nil
			case string(cms.ActionApprove), cms.ActionReturn:
				if row.PublishState != cms.PublishReview {
					return nil, cms.Errorf(cms.ECONFLICT, "这条答复不在待审核状态")
				}
				stages, err := reviewStages(tx)
				if err != nil {
					return nil, err
				}
				next, live, err := cms.ReviewReply(row.ReviewStage, stages, u, action, a.Reason)
				if err != nil {
					return nil, err
				}
				signed = min(max(row.ReviewStage, 1), stages)
				if action == cms.ActionReturn {
					f := map[string]string{}
					if checkRunes(f, "reason", "退回意见", a.Reason, cms.MaxReason); len(f) > 0 {
						return nil, cms.Invalid(f)
					}
					return map[string]any{"publish_state": cms.PublishReturned, "review_stage": 0, "review_comment": a.Reason}, nil
				}
				// The wording checks apply at every stage, as they would to a
				// story: serious hits block the approval, with the findings.
				if err := replyGate(tx, row); err != nil {
					return nil, err
				}
				if !live {
					return map[string]any{"review_stage": next}, nil
				}
				return map[string]any{"publish_state": cms.PublishLive, "review_stage": 0, "published_at": now, "review_comment": ""}, nil
			}
			return nil, cms.Errorf(cms.ENOTFOUND, "没有这个操作：%s", action)
		},
		done: func(tx *gorm.DB, before *cms.Message, row *messageRow) error {
			detail := map[string]string{cms.ActionAccept: "受理，承办人 " + row.AssigneeName,
				cms.ActionReply: "办结答复", string(cms.ActionReject): "不予受理：" + row.Reason}[action]
			switch {
			case action == cms.ActionReply && row.PublishState == cms.PublishReview:
				detail = "办结答复，送" + cms.StageName(1) + "后公开"
			case action == string(cms.ActionApprove) || action == cms.ActionReturn:
				detail = replyReviewDetail(signed, row)
			}
			return db.audit(tx, who, event{action: "message." + action, object: object("message", row.ID),
				before: before, after: row.toCMS(), detail: detail})
		},
	})
	if err != nil {
		return nil, err
	}
	return db.FindMessageByID(ctx, m.ID)
}

// replyHits are the wording hits in a reply to be published, and in the
// message it answers (both appear on the page).
func replyHits(tx *gorm.DB, row *messageRow) ([]cms.Hit, error) {
	dict, err := findTerms(tx)
	if err != nil {
		return nil, err
	}
	m := wording.NewMatcher(dict)
	return append(m.Find("text", row.Text), m.Find("reply", row.Reply)...), nil
}

// replyGate refuses the approval of a reply whose text or message has
// serious wording hits: EINVALID naming the fields, with the findings as
// details. The handler rewords the reply (a reviewer returns it); a
// message whose own words are unfit stays unpublished.
func replyGate(tx *gorm.DB, row *messageRow) error {
	hits, err := replyHits(tx, row)
	if err != nil {
		return err
	}
	serious := cms.Serious(hits)
	if len(serious) == 0 {
		return nil
	}
	f := map[string]string{}
	for _, h := range serious {
		what := map[string]string{"text": "留言", "reply": "答复"}[h.Field]
		if f[h.Field] == "" {
			f[h.Field] = fmt.Sprintf("%s中有严重的用词问题：%s", what, h.Message)
		}
	}
	return &cms.Error{Code: cms.EINVALID, Fields: f, Details: cms.HitsDetail{Hits: serious},
		Message: fmt.Sprintf("答复或留言中有%d处严重的用词问题（%s），不能审核通过；请退回承办人改正", len(serious), serious[0].Message)}
}

// replyReviewDetail is the audit line of a reviewer's step on a reply:
// the stage signed, and where the reply went.
func replyReviewDetail(stage int, row *messageRow) string {
	switch {
	case row.PublishState == cms.PublishReturned:
		return cms.StageName(stage) + "退回答复：" + row.ReviewComment
	case row.PublishState == cms.PublishLive:
		return cms.StageName(stage) + "通过，答复已公开"
	}
	return fmt.Sprintf("%s通过，送%s", cms.StageName(stage), cms.StageName(row.ReviewStage))
}

func checkRunes(f map[string]string, field, name, v string, limit int) {
	if n := len([]rune(v)); n > limit {
		f[field] = fmt.Sprintf("%s不能超过%d字（现有%d字）", name, limit, n)
	}
}

// FindRatings lists ratings, newest first; projectID 0 for all.
func (db *DB) FindRatings(ctx context.Context, projectID int64, p cms.Page) (out []*cms.Rating, total int, err error) {
	defer cms.Wrap(&err, "FindRatings")
	q := db.read(ctx).Model(&ratingRow{})
	if projectID != 0 {
		q = q.Where("project_id = ?", projectID)
	}
	var rows []ratingRow
	if total, err = findPage(q, p, "created_at DESC, id DESC", &rows); err != nil {
		return nil, 0, err
	}
	names, err := db.projectNames(ctx)
	if err != nil {
		return nil, 0, err
	}
	out = convert(rows, (*ratingRow).toCMS)
	for _, r := range out {
		r.ProjectName = names[r.ProjectID].Name
	}
	return out, total, nil
}

func (db *DB) projectNames(ctx context.Context) (map[int64]cms.ProjectRef, error) {
	var ps []projectRow
	if err := db.read(ctx).Select("id", "slug", "name", "kind", "area").Find(&ps).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]cms.ProjectRef, len(ps))
	for _, p := range ps {
		out[p.ID] = cms.ProjectRef{ID: p.ID, Slug: p.Slug, Name: p.Name, Kind: cms.ProjectKind(p.Kind),
			Area: cms.Area(p.Area), URL: cms.ProjectURL(p.Slug)}
	}
	return out, nil
}

// FindMessageStatus is the 查询码 lookup: no name, no phone.
func (db *DB) FindMessageStatus(ctx context.Context, code string) (out *cms.MessageStatus, err error) {
	defer cms.Wrap(&err, "FindMessageStatus")
	code = strings.ToUpper(strings.TrimSpace(code))
	var row messageRow
	if code == "" || len(code) > 16 {
		return nil, cms.Errorf(cms.ENOTFOUND, "查询码不存在，请核对后再试")
	}
	if err := db.read(ctx).Where("code = ?", code).Take(&row).Error; err != nil {
		return nil, notFound(err, "查询码不存在，请核对后再试")
	}
	st := &cms.MessageStatus{Code: row.Code, Category: row.Category, Text: row.Text, State: row.State,
		Reason: row.Reason, DueAt: row.DueAt, CreatedAt: row.CreatedAt, ClosedAt: row.ClosedAt}
	if row.State == cms.StateDone {
		st.Reply = row.Reply
	}
	return st, nil
}

// FindPublicReplies lists the published exchanges, newest first.
func (db *DB) FindPublicReplies(ctx context.Context, p cms.Page) (out []*cms.PublicReply, total int, err error) {
	defer cms.Wrap(&err, "FindPublicReplies")
	q := db.read(ctx).Model(&messageRow{}).Where("publish_state = ? AND public = ?", cms.PublishLive, true).
		Select("id", "category", "project_id", "text", "reply", "created_at", "closed_at")
	var rows []messageRow
	if total, err = findPage(q, p, "published_at DESC, id DESC", &rows); err != nil {
		return nil, 0, err
	}
	names, err := db.projectNames(ctx)
	if err != nil {
		return nil, 0, err
	}
	out = make([]*cms.PublicReply, len(rows))
	for i, r := range rows {
		out[i] = &cms.PublicReply{ID: r.ID, Category: r.Category, Project: names[r.ProjectID].Name,
			Text: r.Text, Reply: r.Reply, CreatedAt: r.CreatedAt}
		if r.ClosedAt != nil {
			out[i].RepliedAt = *r.ClosedAt
		}
	}
	return out, total, nil
}

// satisfactionCount is one group of ratings.
type satisfactionCount struct {
	ProjectID int64
	Month     string
	Level     int
	N         int
}

func (db *DB) satisfactionCounts(ctx context.Context, fromMonth, toMonth string, projectID int64) ([]satisfactionCount, error) {
	q := db.read(ctx).Model(&ratingRow{}).Select("project_id, month, level, COUNT(*) AS n").
		Where("month >= ? AND month <= ?", fromMonth, toMonth)
	if projectID != 0 {
		q = q.Where("project_id = ?", projectID)
	}
	var out []satisfactionCount
	err := q.Group("project_id, month, level").Find(&out).Error
	return out, err
}

func addCount(s *cms.Satisfaction, level, n int) {
	if level < 1 || level > 5 {
		return
	}
	s.Total += n
	s.Levels[5-level] += n
	if cms.Satisfied(level) {
		s.Satisfied += n
	}
}

// monthsBack lists the months ending with the one of now, oldest first.
func monthsBack(now time.Time, n int) []string {
	t := now.In(cms.Local)
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, cms.Local)
	out := make([]string, n)
	for i := range n {
		out[n-1-i] = first.AddDate(0, -i, 0).Format("2006-01")
	}
	return out
}

// FindSatisfaction returns the monthly 满意度 of a project or the site.
func (db *DB) FindSatisfaction(ctx context.Context, projectSlug string, months int) (out *cms.SatisfactionResult, err error) {
	defer cms.Wrap(&err, "FindSatisfaction(%q)", projectSlug)
	months = min(max(months, 1), 36)
	names, err := db.projectNames(ctx)
	if err != nil {
		return nil, err
	}
	out = &cms.SatisfactionResult{}
	var projectID int64
	if projectSlug != "" {
		for _, p := range names {
			if p.Slug == projectSlug {
				ref := p
				out.Project, projectID = &ref, p.ID
			}
		}
		if out.Project == nil {
			return nil, cms.Errorf(cms.ENOTFOUND, "没有这个服务项目")
		}
	}
	now := db.now()
	list := monthsBack(now, months)
	out.From, out.To, out.AsOf = list[0], list[len(list)-1], now
	counts, err := db.satisfactionCounts(ctx, list[0], list[len(list)-1], projectID)
	if err != nil {
		return nil, err
	}
	byMonth := map[string]*cms.Satisfaction{}
	out.Months = make([]cms.Satisfaction, len(list))
	for i, m := range list {
		out.Months[i].Month = m
		byMonth[m] = &out.Months[i]
	}
	byProject := map[int64]*cms.ProjectSatisfaction{}
	for _, c := range counts {
		addCount(byMonth[c.Month], c.Level, c.N)
		addCount(&out.Total, c.Level, c.N)
		if projectID == 0 && c.ProjectID != 0 {
			ps := byProject[c.ProjectID]
			if ps == nil {
				ps = &cms.ProjectSatisfaction{Project: names[c.ProjectID]}
				byProject[c.ProjectID] = ps
			}
			addCount(&ps.Satisfaction, c.Level, c.N)
		}
	}
	for i := range out.Months {
		out.Months[i].SetRate()
	}
	out.Total.SetRate()
	for _, ps := range byProject {
		ps.SetRate()
		out.Projects = append(out.Projects, *ps)
	}
	sort.Slice(out.Projects, func(i, j int) bool { return out.Projects[i].Project.Name < out.Projects[j].Project.Name })
	return out, nil
}

// InteractSummary counts the inbox for the dashboard.
func (db *DB) InteractSummary(ctx context.Context) (out *cms.InteractSummary, err error) {
	defer cms.Wrap(&err, "InteractSummary")
	out = &cms.InteractSummary{}
	now := db.now()
	open := []string{cms.StatePending, cms.StateAccepted}
	q := func() *gorm.DB { return db.read(ctx).Model(&messageRow{}) }
	for _, c := range []struct {
		n    *int
		cond string
		args []any
	}{
		{&out.Pending, "state = ?", []any{cms.StatePending}},
		{&out.Accepted, "state = ?", []any{cms.StateAccepted}},
		{&out.Overdue, "state IN ? AND due_at < ?", []any{open, now}},
		{&out.Hard, "state IN ? AND hard_due_at < ?", []any{open, now.AddDate(0, 0, cms.HardWarnDays)}},
		{&out.Review, "publish_state = ?", []any{cms.PublishReview}},
	} {
		var n int64
		if err := q().Where(c.cond, c.args...).Count(&n).Error; err != nil {
			return nil, err
		}
		*c.n = int(n)
	}
	return out, nil
}

// CountUnanswered returns the open messages, the overdue ones and those
// past the three-month hard limit.
func (db *DB) CountUnanswered(ctx context.Context) (open, overdue, pastHard int, err error) {
	defer cms.Wrap(&err, "CountUnanswered")
	now := db.now()
	unanswered := func() *gorm.DB {
		return db.read(ctx).Model(&messageRow{}).Where("state IN ?", []string{cms.StatePending, cms.StateAccepted})
	}
	var counts [3]int64
	for i, q := range []*gorm.DB{unanswered(), unanswered().Where("due_at < ?", now), unanswered().Where("hard_due_at < ?", now)} {
		if err := q.Count(&counts[i]).Error; err != nil {
			return 0, 0, 0, err
		}
	}
	return int(counts[0]), int(counts[1]), int(counts[2]), nil
}

// InteractReport is the handling report of the messages received from
// from to to (inclusive days, China time), and the satisfaction of those
// months.
func (db *DB) InteractReport(ctx context.Context, from, to time.Time, projectID int64) (out *cms.InteractReport, err error) {
	defer cms.Wrap(&err, "InteractReport")
	start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, cms.Local)
	end := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, cms.Local).AddDate(0, 0, 1)
	if !end.After(start) {
		return nil, cms.Invalid(map[string]string{"to": "结束日期不能早于开始日期"})
	}
	q := db.read(ctx).Model(&messageRow{}).Select("id", "state", "due_at", "created_at", "closed_at").
		Where("created_at >= ? AND created_at < ?", start.UTC(), end.UTC())
	if projectID != 0 {
		q = q.Where("project_id = ?", projectID)
	}
	var rows []messageRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	now := db.now()
	out = &cms.InteractReport{FromDate: start.Format(time.DateOnly), ToDate: end.AddDate(0, 0, -1).Format(time.DateOnly),
		Satisfaction: []cms.ProjectSatisfaction{}}
	var hours []float64
	due := 0
	for _, r := range rows {
		out.Received++
		switch r.State {
		case cms.StatePending, cms.StateAccepted:
			out.Open++
			if now.After(r.DueAt) {
				out.Overdue++
				due++
			}
		case cms.StateRejected:
			out.Rejected++
		case cms.StateDone:
			out.Closed++
			due++
			if r.ClosedAt != nil {
				hours = append(hours, r.ClosedAt.Sub(r.CreatedAt).Hours())
				if !r.ClosedAt.After(r.DueAt) {
					out.OnTime++
				}
			}
		}
	}
	if due > 0 {
		out.OnTimeRate = float64(int(float64(out.OnTime)*1000/float64(due)+0.5)) / 10
	}
	out.MedianHours, out.P90Hours = percentile(hours, 50), percentile(hours, 90)

	counts, err := db.satisfactionCounts(ctx, start.Format("2006-01"), end.Add(-time.Second).Format("2006-01"), projectID)
	if err != nil {
		return nil, err
	}
	names, err := db.projectNames(ctx)
	if err != nil {
		return nil, err
	}
	type key struct {
		project int64
		month   string
	}
	groups := map[key]*cms.ProjectSatisfaction{}
	for _, c := range counts {
		k := key{c.ProjectID, c.Month}
		g := groups[k]
		if g == nil {
			g = &cms.ProjectSatisfaction{Project: names[c.ProjectID], Satisfaction: cms.Satisfaction{Month: c.Month}}
			if c.ProjectID == 0 {
				g.Project.Name = "（未指明项目）"
			}
			groups[k] = g
		}
		addCount(&g.Satisfaction, c.Level, c.N)
	}
	for _, g := range groups {
		g.SetRate()
		out.Satisfaction = append(out.Satisfaction, *g)
	}
	sort.Slice(out.Satisfaction, func(i, j int) bool {
		a, b := out.Satisfaction[i], out.Satisfaction[j]
		if a.Project.Name != b.Project.Name {
			return a.Project.Name < b.Project.Name
		}
		return a.Month < b.Month
	})
	return out, nil
}

// percentile is the p-th percentile of xs (nearest rank), rounded to a
// tenth; 0 for none.
func percentile(xs []float64, p int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := (p*len(s) + 99) / 100 // ceil(p/100 × n)
	v := s[max(rank, 1)-1]
	return float64(int(v*10+0.5)) / 10
}

// FindInteractSettings returns the handling rules.
func (db *DB) FindInteractSettings(ctx context.Context) (out *cms.InteractSettings, err error) {
	defer cms.Wrap(&err, "FindInteractSettings")
	return db.interactSettings(db.read(ctx))
}

// UpdateInteractSettings replaces the rules when s.Version is current.
func (db *DB) UpdateInteractSettings(ctx context.Context, s cms.InteractSettings) (out *cms.InteractSettings, err error) {
	defer cms.Wrap(&err, "UpdateInteractSettings")
	if s.Holidays == nil {
		s.Holidays = []string{}
	}
	if s.MakeupDays == nil {
		s.MakeupDays = []string{}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	holidays, _ := json.Marshal(s.Holidays)
	makeup, _ := json.Marshal(s.MakeupDays)
	err = db.tx(ctx, func(tx *gorm.DB) error {
		before, err := db.interactSettings(tx)
		if err != nil {
			return err
		}
		res := tx.Model(&interactSettingsRow{}).Where("version = ?", s.Version).Updates(map[string]any{
			"due_days": s.DueDays, "holidays": string(holidays), "makeup_days": string(makeup),
			"retention_days": s.RetentionDays, "version": s.Version + 1, "updated_at": db.now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return &cms.Error{Code: cms.ECONFLICT, Message: "设置已被他人修改，请刷新后再试", Current: before}
		}
		if out, err = db.interactSettings(tx); err != nil {
			return err
		}
		return db.audit(tx, actorOf(ctx), event{action: "interact.settings", object: "interact_settings",
			before: before, after: out, detail: fmt.Sprintf("答复时限 %d 个工作日", out.DueDays)})
	})
	return out, err
}

// PurgePersonal erases the names and phone numbers of messages closed more
// than the retention period ago, and the form tokens older than a day.
func (db *DB) PurgePersonal(ctx context.Context) (n int, err error) {
	defer cms.Wrap(&err, "PurgePersonal")
	err = db.tx(ctx, func(tx *gorm.DB) error {
		set, err := db.interactSettings(tx)
		if err != nil {
			return err
		}
		now := db.now()
		res := tx.Model(&messageRow{}).Where("anonymised = ? AND closed_at IS NOT NULL AND closed_at < ?",
			false, now.AddDate(0, 0, -set.RetentionDays)).
			Updates(map[string]any{"name": "", "phone": "", "anonymised": true})
		if res.Error != nil {
			return res.Error
		}
		n = int(res.RowsAffected)
		if err := tx.Where("created_at < ?", now.Add(-24*time.Hour)).Delete(&formNonceRow{}).Error; err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		return db.audit(tx, systemActor, event{action: "message.anonymise", object: "messages",
			detail: fmt.Sprintf("删除了 %d 条已办结超过 %d 天的留言的姓名和电话", n, set.RetentionDays)})
	})
	return n, err
}
