package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"

	"github.com/huimin/huimin/cms"
)

// The public speaks back (issue 17). The public site is static, so the
// forms, the thank-you pages, the 查询码 lookup, the 公开答复 page and the
// 满意度测评结果 pages are served by this server (interact_pages.go): they
// work without JavaScript, show the database as it is now, and carry a
// form token signed here. Every post is limited per client address and
// carries a honeypot field; what the public writes is shown as escaped
// text only.

const (
	// formTokenTTL is how long a form may stay open before it is sent.
	formTokenTTL = 2 * time.Hour
	// honeypotField is a form field people never see or fill in.
	honeypotField = "website"

	defaultInteractRate  = 1.0 / 20
	defaultInteractBurst = 5
)

// interactState is what the public forms keep in memory.
type interactState struct {
	key   []byte     // signs form tokens
	limit *ipLimiter // posts per client address
}

func newInteractState(cfg Config) interactState {
	// Derived from the preview key, which every replica shares, so that a
	// form served by one replica may be posted to another; random in tests
	// that give none.
	base := cfg.PreviewKey
	if len(base) == 0 {
		base = make([]byte, 32)
		rand.Read(base)
	}
	mac := hmac.New(sha256.New, base)
	mac.Write([]byte("huimin interact form token"))
	rate, burst := cfg.InteractRate, cfg.InteractBurst
	if rate == 0 {
		rate, burst = defaultInteractRate, defaultInteractBurst
	}
	return interactState{key: mac.Sum(nil), limit: newIPLimiter(rate, burst)}
}

// newFormToken returns a token for a form served at now: when it was
// served, a random nonce (one token, one submission) and their MAC.
func (st *interactState) newFormToken(now time.Time) string {
	b := make([]byte, 8+12, 8+12+16)
	binary.BigEndian.PutUint64(b, uint64(now.Unix()))
	rand.Read(b[8:])
	return base64.RawURLEncoding.EncodeToString(st.sign(b))
}

func (st *interactState) sign(b []byte) []byte {
	mac := hmac.New(sha256.New, st.key)
	mac.Write(b)
	return append(b, mac.Sum(nil)[:16]...)
}

// checkFormToken returns the nonce of a valid token, or an error saying
// the form must be sent again.
func (st *interactState) checkFormToken(tok string, now time.Time) (string, error) {
	again := cms.Invalid(map[string]string{"token": "表单已过期或无效，请再次提交"})
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) != 8+12+16 {
		return "", again
	}
	if subtle.ConstantTimeCompare(st.sign(append([]byte(nil), b[:20]...)), b) != 1 {
		return "", again
	}
	served := time.Unix(int64(binary.BigEndian.Uint64(b)), 0)
	if served.After(now.Add(time.Minute)) || now.Sub(served) > formTokenTTL {
		return "", again
	}
	return hex.EncodeToString(b[8:20]), nil
}

// errInteractOff answers what needs cfg.Interact on a server without it.
var errInteractOff = cms.Errorf(cms.ENOTFOUND, "未开启互动功能")

// wantsJSON reports whether a public post came from a script (JSON body)
// rather than a plain form, and is answered in kind.
func wantsJSON(c *gin.Context) bool {
	return strings.HasPrefix(c.ContentType(), "application/json")
}

// formToken is GET /interact/token: a fresh form token for scripts and
// mini programs that post JSON.
type formTokenResponse struct {
	Token   string `json:"token"`
	Expires int    `json:"expires_in"` // seconds
}

func (s *Server) handleFormToken(c *gin.Context) error {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, formTokenResponse{Token: s.interact.newFormToken(time.Now()), Expires: int(formTokenTTL.Seconds())})
	return nil
}

// publicPost is what every public form carries besides its fields.
type publicPost struct {
	Token    string `json:"token" form:"token"`
	Honeypot string `json:"website" form:"website"`
}

// ratingPost is POST /interact/rate.
type ratingPost struct {
	publicPost
	Project string `json:"project" form:"project"`
	Story   string `json:"story" form:"story"`
	Level   string `json:"level" form:"level"`
	Comment string `json:"comment" form:"comment"`
	Service string `json:"service" form:"service"`
	Name    string `json:"name" form:"name"`
	Phone   string `json:"phone" form:"phone"`
}

func (p *ratingPost) input() cms.RatingInput {
	level, _ := strconv.Atoi(p.Level)
	return cms.RatingInput{ProjectSlug: p.Project, StorySlug: p.Story, Level: level, Comment: p.Comment,
		Service: p.Service, Name: p.Name, Phone: p.Phone}
}

// messagePost is POST /interact/message.
type messagePost struct {
	publicPost
	Category string  `json:"category" form:"category"`
	Project  string  `json:"project" form:"project"`
	Text     string  `json:"text" form:"text"`
	Name     string  `json:"name" form:"name"`
	Phone    string  `json:"phone" form:"phone"`
	Public   consent `json:"public" form:"public"`
}

// consent is the 同意公开 box: a form sends "yes" when it is ticked, a
// script true.
type consent bool

func (v *consent) UnmarshalParam(s string) error {
	*v = s == "yes" || s == "true" || s == "on"
	return nil
}

func (v *consent) UnmarshalJSON(b []byte) error {
	var x bool
	if err := json.Unmarshal(b, &x); err != nil {
		return err
	}
	*v = consent(x)
	return nil
}

func (p *messagePost) input() cms.MessageInput {
	return cms.MessageInput{Category: p.Category, ProjectSlug: p.Project, Text: p.Text, Name: p.Name,
		Phone: p.Phone, Public: bool(p.Public)}
}

// bindPost reads a public post, JSON or form, bounded in size.
func (s *Server) bindPost(c *gin.Context, dst any) error {
	if wantsJSON(c) {
		return s.decode(c, dst)
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10)
	if err := c.ShouldBindWith(dst, binding.Form); err != nil {
		return cms.Errorf(cms.EBADREQUEST, "无法读取表单")
	}
	return nil
}

// posted runs what is common to the public posts: the client limit, the
// honeypot and the token. It returns the token's nonce, or ok false when
// the post was answered already (limited, or a bot that filled the
// honeypot and is told it succeeded).
func (s *Server) posted(c *gin.Context, p *publicPost, thanks func()) (nonce string, ok bool, err error) {
	if allowed, wait := s.interact.limit.allow(c.ClientIP(), time.Now()); !allowed {
		return "", false, tooMany(c, wait, "提交过于频繁")
	}
	if p.Honeypot != "" {
		thanks()
		return "", false, nil
	}
	nonce, err = s.interact.checkFormToken(p.Token, time.Now())
	return nonce, err == nil, err
}

func (s *Server) handleRatePost(c *gin.Context) error {
	var p ratingPost
	if err := s.bindPost(c, &p); err != nil {
		return s.publicError(c, err, nil)
	}
	in := p.input()
	nonce, ok, err := s.posted(c, &p.publicPost, func() { s.renderRated(c, &cms.Rating{Level: in.Level}) })
	if !ok {
		return s.publicError(c, err, func(e *cms.Error) { s.renderRateForm(c, p, e) })
	}
	in.Nonce = nonce
	r, err := s.cfg.Interact.CreateRating(c.Request.Context(), in)
	if err != nil {
		return s.publicError(c, err, func(e *cms.Error) { s.renderRateForm(c, p, e) })
	}
	if wantsJSON(c) {
		c.JSON(http.StatusCreated, ratedResponse{ID: r.ID, Level: r.Level, FollowUp: r.FollowUpID != 0})
		return nil
	}
	s.renderRated(c, r)
	return nil
}

type ratedResponse struct {
	ID       int64 `json:"id"`
	Level    int   `json:"level"`
	FollowUp bool  `json:"follow_up"` // a follow-up item was opened
}

func (s *Server) handleMessagePost(c *gin.Context) error {
	var p messagePost
	if err := s.bindPost(c, &p); err != nil {
		return s.publicError(c, err, nil)
	}
	nonce, ok, err := s.posted(c, &p.publicPost, func() { s.renderMessaged(c, &cms.Message{Code: "——"}) })
	if !ok {
		return s.publicError(c, err, func(e *cms.Error) { s.renderMessageForm(c, p, e) })
	}
	in := p.input()
	in.Nonce = nonce
	m, err := s.cfg.Interact.CreateMessage(c.Request.Context(), in)
	if err != nil {
		return s.publicError(c, err, func(e *cms.Error) { s.renderMessageForm(c, p, e) })
	}
	if wantsJSON(c) {
		c.JSON(http.StatusCreated, messagedResponse{Code: m.Code, State: m.State, DueAt: m.DueAt})
		return nil
	}
	s.renderMessaged(c, m)
	return nil
}

type messagedResponse struct {
	Code  string    `json:"code"` // the 查询码
	State string    `json:"state"`
	DueAt time.Time `json:"due_at"`
}

// publicError answers a failed public post: JSON clients get the error
// shape; a person gets the form again with what is wrong next to the
// fields (form), or a page saying what happened. nil err: answered already.
func (s *Server) publicError(c *gin.Context, err error, form func(e *cms.Error)) error {
	if err == nil {
		return nil
	}
	if wantsJSON(c) {
		return err
	}
	var e *cms.Error
	code := cms.ErrorCode(err)
	if code == cms.EINVALID && form != nil && errors.As(err, &e) {
		form(e)
		return nil
	}
	if statusOf[code] >= 500 || statusOf[code] == 0 {
		s.log.Error("public post failed", "path", c.Request.URL.Path, "err", err)
	}
	s.renderNotice(c, statusOf[code], "未能提交", cms.ErrorMessage(err))
	return nil
}

// handleRateForm is GET /interact/rate?project=&story=&level=: the form
// the rating buttons of project and story pages lead to, with the level
// chosen there.
func (s *Server) handleRateForm(c *gin.Context) error {
	p := ratingPost{Project: c.Query("project"), Story: c.Query("story"), Level: c.Query("level")}
	s.renderRateForm(c, p, nil)
	return nil
}

// handleMessageForm is GET /interact/message?project=.
func (s *Server) handleMessageForm(c *gin.Context) error {
	s.renderMessageForm(c, messagePost{Project: c.Query("project"), Category: c.Query("category")}, nil)
	return nil
}

// handleLookup is GET /interact/lookup?code=: the 查询码 lookup.
func (s *Server) handleLookup(c *gin.Context) error {
	code := strings.TrimSpace(c.Query("code"))
	var st *cms.MessageStatus
	var msg string
	if code != "" {
		if s.cfg.Interact == nil {
			return errInteractOff
		}
		var err error
		st, err = s.cfg.Interact.FindMessageStatus(c.Request.Context(), code)
		switch cms.ErrorCode(err) {
		case "":
		case cms.ENOTFOUND:
			msg = cms.ErrorMessage(err)
		default:
			return err
		}
	}
	s.renderLookup(c, code, st, msg)
	return nil
}

// handleRepliesPage is GET /interact/replies/: the 公开答复 page.
func (s *Server) handleRepliesPage(c *gin.Context) error {
	page, err := pageQuery(c)
	if err != nil {
		return err
	}
	page.PerPage = 20
	list, total, err := s.cfg.Interact.FindPublicReplies(c.Request.Context(), page)
	if err != nil {
		return err
	}
	s.renderReplies(c, list, total, page)
	return nil
}

// resultMonths is how many months the results pages show.
const resultMonths = 12

// handleResultsPage is GET /interact/results/ and /interact/results/:project/:
// the 满意度测评结果, by month, of the site or of one project. They are
// computed from the ratings as they are, so they are never out of date.
func (s *Server) handleResultsPage(c *gin.Context) error {
	res, err := s.cfg.Interact.FindSatisfaction(c.Request.Context(), c.Param("project"), resultMonths)
	if err != nil {
		return err
	}
	s.renderResults(c, res)
	return nil
}

// handleContentSatisfaction is GET /api/v1/content/satisfaction?project=&months=.
func (s *Server) handleContentSatisfaction(c *gin.Context) error {
	months := resultMonths
	if v := c.Query("months"); v != "" {
		var err error
		if months, err = strconv.Atoi(v); err != nil || months < 1 || months > 36 {
			return cms.Invalid(map[string]string{"months": "月数应在1到36之间"})
		}
	}
	project := c.Query("project")
	return s.cachedStats(c, fmt.Sprintf("satisfaction:%d:%s", months, project), publicStatsTTL, func(ctx context.Context) (any, error) {
		return s.cfg.Interact.FindSatisfaction(ctx, project, months)
	})
}

// handleContentReplies is GET /api/v1/content/replies: the published
// exchanges, without name or phone.
func (s *Server) handleContentReplies(c *gin.Context) error {
	page, err := pageQuery(c)
	if err != nil {
		return err
	}
	list, total, err := s.cfg.Interact.FindPublicReplies(c.Request.Context(), page)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "public, max-age=10")
	c.JSON(http.StatusOK, newList(list, total, page))
	return nil
}

// The admin inbox.

// projectParam reads the optional project id of a staff query; 0 for none.
func projectParam(c *gin.Context) (int64, error) {
	v := c.Query("project")
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, cms.Invalid(map[string]string{"project": "项目编号应为正整数"})
	}
	return id, nil
}

func (s *Server) handleMessageList(c *gin.Context) error {
	page, err := pageQuery(c)
	if err != nil {
		return err
	}
	f := cms.MessageFilter{State: c.Query("state"), Queue: c.Query("queue"), Page: page}
	if f.ProjectID, err = projectParam(c); err != nil {
		return err
	}
	list, total, err := s.cfg.Interact.FindMessages(c.Request.Context(), f)
	if err != nil {
		return err
	}
	u := currentUser(c)
	for _, m := range list {
		m.Redact(u)
	}
	c.JSON(http.StatusOK, newList(list, total, page))
	return nil
}

func (s *Server) handleMessageGet(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	m, err := s.cfg.Interact.FindMessageByID(c.Request.Context(), id)
	if err != nil {
		return err
	}
	m.Redact(currentUser(c))
	c.JSON(http.StatusOK, m)
	return nil
}

// messageActionRequest is the body of POST /interact/messages/:id/actions/:action.
type messageActionRequest struct {
	cms.MessageAction
}

func (r *messageActionRequest) Valid() map[string]string {
	return needVersion(r.Version, "请提供留言的版本号")
}

func (s *Server) handleMessageAction(c *gin.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var req messageActionRequest
	if err := s.decode(c, &req); err != nil {
		return err
	}
	m, err := s.cfg.Interact.ActOnMessage(c.Request.Context(), id, c.Param("action"), req.MessageAction)
	if err != nil {
		var e *cms.Error
		if errors.As(err, &e) {
			if cur, ok := e.Current.(*cms.Message); ok {
				cur.Phone = "" // a conflict carries the record without the number
			}
		}
		return err
	}
	m.Redact(currentUser(c))
	c.JSON(http.StatusOK, m)
	return nil
}

func (s *Server) handleRatingList(c *gin.Context) error {
	page, err := pageQuery(c)
	if err != nil {
		return err
	}
	project, err := projectParam(c)
	if err != nil {
		return err
	}
	list, total, err := s.cfg.Interact.FindRatings(c.Request.Context(), project, page)
	return reply(c, newList(list, total, page), err)
}

func (s *Server) handleInteractSummary(c *gin.Context) error {
	sum, err := s.cfg.Interact.InteractSummary(c.Request.Context())
	return reply(c, sum, err)
}

// interactReport reads from, to (YYYY-MM-DD, China time; default the last
// 30 days) and project, and builds the report.
func (s *Server) interactReport(c *gin.Context) (*cms.InteractReport, error) {
	now := time.Now().In(cms.Local)
	day := func(name string, def time.Time) (time.Time, bool) {
		v := c.Query(name)
		if v == "" {
			return def, true
		}
		t, err := time.ParseInLocation(time.DateOnly, v, cms.Local)
		return t, err == nil
	}
	f := map[string]string{}
	from, ok := day("from", now.AddDate(0, 0, -29))
	if !ok {
		f["from"] = "开始日期应写作 YYYY-MM-DD"
	}
	to, ok := day("to", now)
	if !ok {
		f["to"] = "结束日期应写作 YYYY-MM-DD"
	}
	project, err := projectParam(c)
	if err != nil {
		f["project"] = "项目编号应为正整数"
	}
	if len(f) > 0 {
		return nil, cms.Invalid(f)
	}
	return s.cfg.Interact.InteractReport(c.Request.Context(), from, to, project)
}

func (s *Server) handleInteractReport(c *gin.Context) error {
	rep, err := s.interactReport(c)
	return reply(c, rep, err)
}

// interactTables lays the report out as the sheets of its Excel export.
func interactTables(rep *cms.InteractReport) []statsTable {
	summary := statsTable{name: "办理情况", header: []string{"项目", "数值"}, rows: [][]any{
		{"开始日期", rep.FromDate}, {"结束日期", rep.ToDate},
		{"收到留言", rep.Received}, {"已办结", rep.Closed}, {"不予受理", rep.Rejected},
		{"办理中", rep.Open}, {"已超期", rep.Overdue},
		{"按期办结", rep.OnTime}, {"按期办结率（%）", rep.OnTimeRate},
		{"答复用时中位数（小时）", rep.MedianHours}, {"答复用时90%分位（小时）", rep.P90Hours},
	}}
	sat := statsTable{name: "满意度", header: []string{"服务项目", "月份", "评价数", "满意数", "满意率（%）",
		"非常满意", "满意", "基本满意", "不满意", "非常不满意"}}
	for _, p := range rep.Satisfaction {
		row := []any{p.Project.Name, p.Month, p.Total, p.Satisfied, p.Rate}
		for _, n := range p.Levels {
			row = append(row, n)
		}
		sat.rows = append(sat.rows, row)
	}
	return []statsTable{summary, sat}
}

// handleInteractExport is GET /api/v1/interact/report/export: the report
// as an Excel workbook for the bureau's assessments.
func (s *Server) handleInteractExport(c *gin.Context) error {
	rep, err := s.interactReport(c)
	if err != nil {
		return err
	}
	body, err := statsXLSX(interactTables(rep))
	if err != nil {
		return err
	}
	name := fmt.Sprintf("互动办理_%s_%s.xlsx", rep.FromDate, rep.ToDate)
	sendDownload(c, "interact.xlsx", name, xlsxType, body)
	return nil
}

func (s *Server) handleInteractSettingsGet(c *gin.Context) error {
	set, err := s.cfg.Interact.FindInteractSettings(c.Request.Context())
	return reply(c, set, err)
}

func (s *Server) handleInteractSettingsUpdate(c *gin.Context) error {
	var req cms.InteractSettings
	if err := s.decode(c, &req); err != nil {
		return err
	}
	set, err := s.cfg.Interact.UpdateInteractSettings(c.Request.Context(), req)
	return reply(c, set, err)
}
