package web

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// The public interaction pages, rendered here with html/template: every
// value is escaped for where it stands, so what the public wrote is always
// text, never markup (nor Hugo template or shortcode syntax: these pages
// never pass through Hugo).

//go:embed interact_pages.html
var interactPagesSource string

var interactPages = template.Must(template.New("").Funcs(template.FuncMap{
	"level":    cms.LevelLabel,
	"category": cms.CategoryLabel,
	"state":    cms.StateLabel,
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(cms.Local).Format("2006年1月2日")
	},
	"datetime": func(t time.Time) string { return t.In(cms.Local).Format("2006-01-02T15:04:05+08:00") },
	"pct":      func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" },
	"clock":    func(t time.Time) string { return t.In(cms.Local).Format("15:04") },
	// month writes a YYYY-MM month as 2026年12月.
	"month": func(m string) string {
		t, err := time.Parse("2006-01", m)
		if err != nil {
			return m
		}
		return t.Format("2006年1月")
	},
	"field": func(e *cms.Error, name string) string {
		if e == nil {
			return ""
		}
		return e.Fields[name]
	},
	"add": func(a, b int) int { return a + b },
	// trend is the change of the satisfaction rate since the month before.
	"trend": func(months []cms.Satisfaction, i int) string {
		if i == 0 || months[i].Total == 0 || months[i-1].Total == 0 {
			return "—"
		}
		d := months[i].Rate - months[i-1].Rate
		switch {
		case d > 0:
			return "上升 " + strconv.FormatFloat(d, 'f', 1, 64)
		case d < 0:
			return "下降 " + strconv.FormatFloat(-d, 'f', 1, 64)
		}
		return "持平"
	},
}).Parse(interactPagesSource))

// pageData is what every page shows around its own content.
type pageData struct {
	Site  string
	Title string
	Body  any
}

// renderPage writes the page name with body, never cached when it holds a
// form token.
func (s *Server) renderPage(c *gin.Context, status int, name, title string, body any, cache string) {
	site := "惠民"
	if s.cfg.Settings != nil {
		if st, err := s.cfg.Settings.FindSettings(c.Request.Context()); err == nil && st.SiteName != "" {
			site = st.SiteName
		}
	}
	var b bytes.Buffer
	if err := interactPages.ExecuteTemplate(&b, name, pageData{Site: site, Title: title, Body: body}); err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Cache-Control", cache)
	c.Data(status, "text/html; charset=utf-8", b.Bytes())
}

const noStore = "no-store"

type project struct {
	Slug, Name string
	Window     bool
}

// projectOf names the project a form is about; nil when unknown.
func (s *Server) projectOf(c *gin.Context, slug string) *project {
	if slug == "" || s.cfg.Projects == nil {
		return nil
	}
	p, err := s.cfg.Projects.FindProjectBySlug(c.Request.Context(), slug)
	if err != nil {
		return nil
	}
	return &project{Slug: p.Slug, Name: p.Name, Window: p.Kind == cms.KindWindow}
}

type rateForm struct {
	Post       ratingPost
	Token      string
	Project    *project
	StoryTitle string
	Levels     []int
	Err        *cms.Error
}

func (s *Server) renderRateForm(c *gin.Context, p ratingPost, e *cms.Error) {
	f := rateForm{Post: p, Token: s.interact.newFormToken(time.Now()), Levels: cms.RatingLevels, Err: e,
		Project: s.projectOf(c, p.Project)}
	if p.Story != "" && s.cfg.Content != nil {
		if st, err := s.cfg.Content.FindLiveStoryBySlug(c.Request.Context(), p.Story); err == nil {
			f.StoryTitle = st.Title
			if f.Project == nil && st.Project.Slug != "" {
				f.Project = s.projectOf(c, st.Project.Slug)
			}
		}
	}
	status := http.StatusOK
	if e != nil {
		status = http.StatusUnprocessableEntity
	}
	s.renderPage(c, status, "rate", "满意度测评", f, noStore)
}

func (s *Server) renderRated(c *gin.Context, r *cms.Rating) {
	s.renderPage(c, http.StatusOK, "rated", "感谢您的评价", r, noStore)
}

type messageForm struct {
	Post       messagePost
	Token      string
	Projects   []*cms.Project
	Categories []string
	Max        int
	Err        *cms.Error
}

func (s *Server) renderMessageForm(c *gin.Context, p messagePost, e *cms.Error) {
	f := messageForm{Post: p, Token: s.interact.newFormToken(time.Now()), Categories: cms.MessageCategories,
		Max: cms.MaxMessageText, Err: e}
	if s.cfg.Projects != nil {
		f.Projects, _, _ = s.cfg.Projects.FindProjects(c.Request.Context(), cms.ProjectFilter{Page: cms.Page{Page: 1, PerPage: cms.MaxPerPage}})
	}
	status := http.StatusOK
	if e != nil {
		status = http.StatusUnprocessableEntity
	}
	s.renderPage(c, status, "message", "我要留言", f, noStore)
}

func (s *Server) renderMessaged(c *gin.Context, m *cms.Message) {
	s.renderPage(c, http.StatusOK, "messaged", "留言已收到", m, noStore)
}

type lookupPage struct {
	Code    string
	Status  *cms.MessageStatus
	Message string
}

func (s *Server) renderLookup(c *gin.Context, code string, st *cms.MessageStatus, msg string) {
	status := http.StatusOK
	if msg != "" {
		status = http.StatusNotFound
	}
	s.renderPage(c, status, "lookup", "留言查询", lookupPage{Code: code, Status: st, Message: msg}, noStore)
}

type repliesPage struct {
	Items      []*cms.PublicReply
	Total      int
	Page, Last int
}

func (s *Server) renderReplies(c *gin.Context, list []*cms.PublicReply, total int, p cms.Page) {
	last := max(1, (total+p.PerPage-1)/p.PerPage)
	s.renderPage(c, http.StatusOK, "replies", "公开答复", repliesPage{Items: list, Total: total, Page: p.Page, Last: last},
		"public, max-age=5")
}

func (s *Server) renderResults(c *gin.Context, res *cms.SatisfactionResult) {
	title := "满意度测评结果"
	if res.Project != nil {
		title = res.Project.Name + " · " + title
	}
	s.renderPage(c, http.StatusOK, "results", title, res, "public, max-age=60")
}

func (s *Server) renderNotice(c *gin.Context, status int, title, msg string) {
	if status == 0 {
		status = http.StatusInternalServerError
	}
	s.renderPage(c, status, "notice", title, msg, noStore)
}
