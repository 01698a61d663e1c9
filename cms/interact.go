package cms

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The public speaks back (issue 17): satisfaction ratings (满意度测评) on
// the five levels of the national 好差评 scheme, messages (留言) with tracked
// replies, and the results published. Everything the public submits is
// plain text: it is escaped wherever it is shown and never rendered as
// markup.

// Rating levels of the 好差评 scheme (国办发〔2019〕51号).
const (
	LevelVeryGood = 5 // 非常满意
	LevelGood     = 4 // 满意
	LevelFair     = 3 // 基本满意
	LevelBad      = 2 // 不满意
	LevelVeryBad  = 1 // 非常不满意
)

// RatingLevels lists the levels from best to worst, as forms show them.
var RatingLevels = []int{LevelVeryGood, LevelGood, LevelFair, LevelBad, LevelVeryBad}

var levelLabels = map[int]string{
	LevelVeryGood: "非常满意",
	LevelGood:     "满意",
	LevelFair:     "基本满意",
	LevelBad:      "不满意",
	LevelVeryBad:  "非常不满意",
}

// LevelLabel is the Chinese name of a level, "" for no level.
func LevelLabel(level int) string { return levelLabels[level] }

// Satisfied reports whether a level counts towards the 满意率 (the three
// upper levels); the two lowest are a 差评.
func Satisfied(level int) bool { return level >= LevelFair }

// Limits on what the public may submit, in characters.
const (
	MaxMessageText = 1000
	MaxComment     = 300
	MaxName        = 30
	MaxService     = 60
	MaxReply       = 3000
	MaxReason      = 300
)

// Rating is one satisfaction rating. It holds no contact details: a 差评
// with contact details becomes a follow-up message (FollowUpID), where the
// phone number is kept sealed like any other.
type Rating struct {
	ID          int64     `json:"id"`
	ProjectID   int64     `json:"project_id"`
	ProjectName string    `json:"project_name"`
	StoryID     int64     `json:"story_id,omitempty"`
	Level       int       `json:"level"`
	Comment     string    `json:"comment"`
	Service     string    `json:"service"` // which service of a window was used
	FollowUpID  int64     `json:"follow_up_id,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// RatingInput is a rating as the public submits it. Nonce is the form
// token's: one token, one rating (one rating per visit).
type RatingInput struct {
	ProjectSlug string `json:"project"`
	StorySlug   string `json:"story"`
	Level       int    `json:"level"`
	Comment     string `json:"comment"`
	Service     string `json:"service"`
	Name        string `json:"name"`
	Phone       string `json:"phone"`
	Nonce       string `json:"-"`
}

// Validate reports the fields of in that are wrong, after trimming them.
func (in *RatingInput) Validate() error {
	in.Comment, in.Service = strings.TrimSpace(in.Comment), strings.TrimSpace(in.Service)
	in.Name, in.Phone = strings.TrimSpace(in.Name), NormalizePhone(in.Phone)
	f := map[string]string{}
	if LevelLabel(in.Level) == "" {
		f["level"] = "请选择满意程度（非常满意、满意、基本满意、不满意、非常不满意）"
	}
	if in.ProjectSlug == "" && in.StorySlug == "" {
		f["project"] = "请指明评价的服务项目"
	}
	checkLen(f, "comment", "意见", in.Comment, MaxComment)
	checkLen(f, "service", "办理的业务", in.Service, MaxService)
	checkLen(f, "name", "姓名", in.Name, MaxName)
	checkPhone(f, in.Phone)
	return invalidIf(f)
}

// Message categories.
const (
	CategoryConsult  = "consult"   // 咨询
	CategorySuggest  = "suggest"   // 建议
	CategoryComplain = "complain"  // 投诉
	CategoryPraise   = "praise"    // 表扬
	CategoryFollowUp = "follow_up" // 差评回访: opened by a low rating with contact details
)

// MessageCategories lists the categories the public may choose.
var MessageCategories = []string{CategoryConsult, CategorySuggest, CategoryComplain, CategoryPraise}

var categoryLabels = map[string]string{
	CategoryConsult:  "咨询",
	CategorySuggest:  "建议",
	CategoryComplain: "投诉",
	CategoryPraise:   "表扬",
	CategoryFollowUp: "差评回访",
}

// CategoryLabel is the Chinese name of a category, "" for no category.
func CategoryLabel(c string) string { return categoryLabels[c] }

// Message states.
const (
	StatePending  = "pending"  // 待受理
	StateAccepted = "accepted" // 已受理
	StateDone     = "done"     // 已办结
	StateRejected = "rejected" // 不予受理
)

var stateLabels = map[string]string{
	StatePending:  "待受理",
	StateAccepted: "已受理",
	StateDone:     "已办结",
	StateRejected: "不予受理",
}

// StateLabel is the Chinese name of a state, "" for no state.
func StateLabel(s string) string { return stateLabels[s] }

// Publication states of a reply. A reply to be published goes through
// the site's review stages like a story (ReviewReply); only after the last
// one is it on the 公开答复 page.
const (
	PublishNone     = ""          // not to be published
	PublishReview   = "review"    // awaiting the reviewer of its stage (Message.ReviewStage)
	PublishLive     = "published" // on the 公开答复 page
	PublishReturned = "returned"  // sent back to the handler by a reviewer, with a comment
)

// ReviewReply decides a reviewer's step on a reply waiting at stage, on a
// site with the given number of review stages (1..3, as settings say):
// action is ActionApprove or ActionReturn. Stage k is signed off by a
// reviewer of level k or an admin (CanSign); a reply left at a stage the
// site no longer has (review_stages was lowered) waits at the final one.
// It returns the next stage, or 0 with live true when the approval was the
// last stage's (or 0, false for a return). EFORBIDDEN names who may act;
// EINVALID when a return lacks its comment (field "reason").
func ReviewReply(stage, stages int, u *User, action, comment string) (next int, live bool, err error) {
	stages = stageCount(stages)
	stage = min(max(stage, 1), stages)
	if u == nil {
		return stage, false, Errorf(EUNAUTHORIZED, "请先登录")
	}
	verb := map[string]string{string(ActionApprove): "审核通过", ActionReturn: "退回"}[action]
	if verb == "" {
		return stage, false, Errorf(ENOTFOUND, "没有这个操作：%s", action)
	}
	if !CanSign(u, stage) {
		return stage, false, Errorf(EFORBIDDEN, "这条答复在%s阶段，只有%s人员或管理员可以%s", StageName(stage), StageName(stage), verb)
	}
	if action == ActionReturn {
		if blank(comment) {
			return stage, false, Invalid(map[string]string{"reason": "退回答复时请写明意见"})
		}
		return 0, false, nil
	}
	if stage < stages {
		return stage + 1, false, nil
	}
	return 0, true, nil
}

// HardLimit is the second deadline of a message: an unanswered valid
// message this old fails a government-site inspection outright.
const HardLimitMonths = 3

// HardWarnDays is how long before the hard limit a message enters the
// warning queue.
const HardWarnDays = 15

// Message is one 留言 and its handling. Phone is the number in clear only
// for the handler and admins; everybody else gets it masked (Redact).
type Message struct {
	ID            int64      `json:"id"`
	Code          string     `json:"code"` // 查询码
	Category      string     `json:"category"`
	ProjectID     int64      `json:"project_id"`
	ProjectName   string     `json:"project_name"`
	Text          string     `json:"text"`
	Name          string     `json:"name"`
	Phone         string     `json:"phone"`
	PhoneMasked   bool       `json:"phone_masked"`
	Public        bool       `json:"public"` // 同意公开
	RatingID      int64      `json:"rating_id,omitempty"`
	Flags         []string   `json:"flags"` // dictionary terms found in the text
	State         string     `json:"state"`
	AssigneeID    int64      `json:"assignee_id"`
	AssigneeName  string     `json:"assignee_name"`
	Reply         string     `json:"reply"`
	Reason        string     `json:"reason"` // why it was not accepted
	PublishState  string     `json:"publish_state"`
	ReviewStage   int        `json:"review_stage"` // while PublishState is review: 1..3 (初审, 复审, 终审); else 0
	ReviewComment string     `json:"review_comment"`
	DueAt         time.Time  `json:"due_at"`
	HardDueAt     time.Time  `json:"hard_due_at"`
	AcceptedAt    *time.Time `json:"accepted_at"`
	ClosedAt      *time.Time `json:"closed_at"`
	PublishedAt   *time.Time `json:"published_at"`
	Anonymised    bool       `json:"anonymised"`
	Overdue       bool       `json:"overdue"`      // open past DueAt
	HardWarning   bool       `json:"hard_warning"` // open within HardWarnDays of HardDueAt, or past it
	Version       int        `json:"version"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// CurrentVersion makes a message a Versioned conflict payload.
func (m *Message) CurrentVersion() int { return m.Version }

// Open reports whether the message still awaits its answer.
func (m *Message) Open() bool { return m.State == StatePending || m.State == StateAccepted }

// Mark sets Overdue and HardWarning as of now.
func (m *Message) Mark(now time.Time) {
	m.Overdue = m.Open() && now.After(m.DueAt)
	m.HardWarning = m.Open() && now.After(m.HardDueAt.AddDate(0, 0, -HardWarnDays))
}

// Redact masks the phone number for u unless u handles the message or is
// an admin.
func (m *Message) Redact(u *User) {
	if u != nil && (u.Role == RoleAdmin || (m.AssigneeID != 0 && u.ID == m.AssigneeID)) {
		return
	}
	if m.Phone != "" {
		m.Phone, m.PhoneMasked = MaskPhone(m.Phone), true
	}
}

// MaskPhone keeps the first three and last two digits: 138******78.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) <= 5 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-5) + string(r[len(r)-2:])
}

// MessageInput is a message as the public submits it.
type MessageInput struct {
	Category    string `json:"category"`
	ProjectSlug string `json:"project"`
	Text        string `json:"text"`
	Name        string `json:"name"`
	Phone       string `json:"phone"`
	Public      bool   `json:"public"`
	Nonce       string `json:"-"`
}

// Validate reports the fields of in that are wrong, after trimming them.
func (in *MessageInput) Validate() error {
	in.Text, in.Name, in.Phone = strings.TrimSpace(in.Text), strings.TrimSpace(in.Name), NormalizePhone(in.Phone)
	f := map[string]string{}
	if !slices.Contains(MessageCategories, in.Category) {
		f["category"] = "请选择留言类别（咨询、建议、投诉、表扬）"
	}
	if in.Text == "" {
		f["text"] = "请填写留言内容"
	}
	checkLen(f, "text", "留言内容", in.Text, MaxMessageText)
	checkLen(f, "name", "姓名", in.Name, MaxName)
	checkPhone(f, in.Phone)
	return invalidIf(f)
}

// NormalizePhone drops the spaces and dashes people type in numbers.
func NormalizePhone(p string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\u3000' {
			return -1
		}
		return r
	}, strings.TrimSpace(p))
}

func checkPhone(f map[string]string, p string) {
	if p == "" {
		return
	}
	ok := len(p) >= 7 && len(p) <= 15
	for i, r := range p {
		ok = ok && (r >= '0' && r <= '9' || r == '+' && i == 0)
	}
	if !ok {
		f["phone"] = "联系电话应为7到15位数字"
	}
}

func checkLen(f map[string]string, field, name, v string, limit int) {
	if n := runes(v); n > limit {
		f[field] = fmt.Sprintf("%s不能超过%d字（现有%d字）", name, limit, n)
	}
}

// MessageAction is a step of the handling, as staff take it.
type MessageAction struct {
	Version    int    `json:"version"`
	AssigneeID int64  `json:"assignee_id"` // accept
	ProjectID  int64  `json:"project_id"`  // accept: the project it concerns (0 keeps it)
	Reply      string `json:"reply"`       // reply
	Publish    bool   `json:"publish"`     // reply: to be published (only if the writer agreed)
	Reason     string `json:"reason"`      // reject; a reviewer's comment on return
}

// Message actions: ActionReject (不予受理, with the reason) and
// ActionApprove (a reviewer signs off the reply's stage; the last stage
// publishes it) are the story workflow's words, and these.
const (
	ActionAccept = "accept" // 受理: assign to a user and project
	ActionReply  = "reply"  // 办结: answer it
	ActionReturn = "return" // a reviewer sends the reply back to the handler
)

// MessageFilter selects messages for the inbox.
type MessageFilter struct {
	State     string // one of the states, or "" for all
	Queue     string // "overdue", "hard" (three-month warning), "review" (replies to approve), "" for none
	ProjectID int64
	Page
}

// InteractSettings are the rules of the handling.
type InteractSettings struct {
	// DueDays is the number of working days a message must be answered in.
	DueDays int `json:"due_days"`
	// Holidays are days off that fall on weekdays; MakeupDays are
	// weekends worked (调休), both as YYYY-MM-DD.
	Holidays   []string `json:"holidays"`
	MakeupDays []string `json:"makeup_days"`
	// RetentionDays is how long names and phone numbers are kept after a
	// message is closed before they are erased.
	RetentionDays int       `json:"retention_days"`
	Version       int       `json:"version"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Validate reports the fields of s that are wrong.
func (s *InteractSettings) Validate() error {
	f := map[string]string{}
	if s.DueDays < 1 || s.DueDays > 60 {
		f["due_days"] = "答复时限必须在1到60个工作日之间"
	}
	if s.RetentionDays < 30 || s.RetentionDays > 3650 {
		f["retention_days"] = "个人信息保留天数必须在30到3650之间"
	}
	for name, list := range map[string][]string{"holidays": s.Holidays, "makeup_days": s.MakeupDays} {
		for _, d := range list {
			if _, err := time.Parse(time.DateOnly, d); err != nil {
				f[name] = fmt.Sprintf("日期“%s”应写作 YYYY-MM-DD", d)
				break
			}
		}
	}
	return invalidIf(f)
}

// Local is the bureaus' time zone: due dates count their working days.
var Local = time.FixedZone("CST", 8*3600)

// DueDate is the end of the n-th working day after t (the day of t itself
// does not count), in Local: weekends and holidays are skipped, make-up
// days are worked.
func (s *InteractSettings) DueDate(t time.Time, n int) time.Time {
	day := t.In(Local)
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, Local)
	for left := n; left > 0; {
		day = day.AddDate(0, 0, 1)
		key := day.Format(time.DateOnly)
		weekend := day.Weekday() == time.Saturday || day.Weekday() == time.Sunday
		if slices.Contains(s.MakeupDays, key) || (!weekend && !slices.Contains(s.Holidays, key)) {
			left--
		}
	}
	return day.AddDate(0, 0, 1).Add(-time.Second).UTC()
}

// Satisfaction is the rating figures of one month (or period).
type Satisfaction struct {
	Month     string  `json:"month"`     // YYYY-MM; "" for a total
	Total     int     `json:"total"`     // ratings
	Satisfied int     `json:"satisfied"` // the three upper levels
	Rate      float64 `json:"rate"`      // Satisfied/Total in percent, one decimal; 0 without ratings
	Levels    [5]int  `json:"levels"`    // counts from 非常满意 to 非常不满意
}

// SetRate computes Rate from the counts.
func (s *Satisfaction) SetRate() {
	s.Rate = 0
	if s.Total > 0 {
		s.Rate = float64(int(float64(s.Satisfied)*1000/float64(s.Total)+0.5)) / 10
	}
}

// SatisfactionResult is the 满意度测评结果 of a project or the site, over
// the months From to To (YYYY-MM, China time). A rating counts in the month
// it arrives in and is never changed, so the figures of a month that has
// ended are final; only To, the month still running, grows: its figures
// are those as of AsOf.
type SatisfactionResult struct {
	Project  *ProjectRef           `json:"project,omitempty"`
	From     string                `json:"from"`
	To       string                `json:"to"`
	AsOf     time.Time             `json:"as_of"`
	Months   []Satisfaction        `json:"months"` // oldest first
	Total    Satisfaction          `json:"total"`
	Projects []ProjectSatisfaction `json:"projects,omitempty"` // the site's result: each project's total
}

// ProjectSatisfaction is one project's line in the site's result.
type ProjectSatisfaction struct {
	Project ProjectRef `json:"project"`
	Satisfaction
}

// PublicReply is a published exchange, as the 公开答复 page and the content
// API show it: no name, no phone.
type PublicReply struct {
	ID        int64     `json:"id"`
	Category  string    `json:"category"`
	Project   string    `json:"project"`
	Text      string    `json:"text"`
	Reply     string    `json:"reply"`
	CreatedAt time.Time `json:"created_at"`
	RepliedAt time.Time `json:"replied_at"`
}

// MessageStatus is what the writer sees with the 查询码.
type MessageStatus struct {
	Code      string     `json:"code"`
	Category  string     `json:"category"`
	Text      string     `json:"text"`
	State     string     `json:"state"`
	Reply     string     `json:"reply"`
	Reason    string     `json:"reason"`
	DueAt     time.Time  `json:"due_at"`
	CreatedAt time.Time  `json:"created_at"`
	ClosedAt  *time.Time `json:"closed_at"`
}

// InteractSummary is the dashboard's count of the inbox.
type InteractSummary struct {
	Pending  int `json:"pending"`
	Accepted int `json:"accepted"`
	Overdue  int `json:"overdue"`
	Hard     int `json:"hard"` // in the three-month warning queue
	Review   int `json:"review"`
}

// InteractReport is the report the bureau's assessments use.
type InteractReport struct {
	From, To string `json:"-"`
	// Messages received in the period and, of those, the closed ones.
	Received int `json:"received"`
	Closed   int `json:"closed"`
	Rejected int `json:"rejected"`
	Open     int `json:"open"`
	Overdue  int `json:"overdue"` // open past their due date now
	// OnTime counts closed messages answered by their due date; OnTimeRate
	// is OnTime over the messages due in the period that are closed or
	// overdue, in percent.
	OnTime     int     `json:"on_time"`
	OnTimeRate float64 `json:"on_time_rate"`
	// Response times of the closed messages, in hours.
	MedianHours float64 `json:"median_hours"`
	P90Hours    float64 `json:"p90_hours"`
	// Satisfaction by project and month.
	Satisfaction []ProjectSatisfaction `json:"satisfaction"`
	FromDate     string                `json:"from"`
	ToDate       string                `json:"to"`
}

// InteractService stores ratings and messages. Errors: EINVALID naming the
// field, ENOTFOUND, ECONFLICT for a stale version or a wrong state,
// EFORBIDDEN for a step the user may not take.
type InteractService interface {
	// CreateRating stores a rating; a 差评 with a phone number also opens a
	// follow-up message. ECONFLICT when the nonce was used.
	CreateRating(ctx context.Context, in RatingInput) (*Rating, error)
	// CreateMessage stores a message and returns it with its 查询码.
	// ECONFLICT when the nonce was used.
	CreateMessage(ctx context.Context, in MessageInput) (*Message, error)
	FindMessageByID(ctx context.Context, id int64) (*Message, error)
	FindMessages(ctx context.Context, f MessageFilter) ([]*Message, int, error)
	// ActOnMessage takes a step of the handling as the user in ctx.
	ActOnMessage(ctx context.Context, id int64, action string, a MessageAction) (*Message, error)
	FindRatings(ctx context.Context, projectID int64, p Page) ([]*Rating, int, error)
	// FindMessageStatus is the 查询码 lookup; ENOTFOUND.
	FindMessageStatus(ctx context.Context, code string) (*MessageStatus, error)
	FindPublicReplies(ctx context.Context, p Page) ([]*PublicReply, int, error)
	// FindSatisfaction returns the monthly results of a project (by slug)
	// or, for "", of the site, over the last months months.
	FindSatisfaction(ctx context.Context, projectSlug string, months int) (*SatisfactionResult, error)
	InteractSummary(ctx context.Context) (*InteractSummary, error)
	// CountUnanswered returns the open messages and, of those, the overdue
	// ones and those past the hard limit (网站体检 uses it).
	CountUnanswered(ctx context.Context) (open, overdue, pastHard int, err error)
	InteractReport(ctx context.Context, from, to time.Time, projectID int64) (*InteractReport, error)
	FindInteractSettings(ctx context.Context) (*InteractSettings, error)
	UpdateInteractSettings(ctx context.Context, s InteractSettings) (*InteractSettings, error)
	// PurgePersonal erases the names and phone numbers of messages closed
	// longer ago than the retention period; it returns how many.
	PurgePersonal(ctx context.Context) (int, error)
}
