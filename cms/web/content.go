package web

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/huimin/huimin/cms"
)

// The content API is public and read-only; it serves published content only,
// through cms.ContentService, which never returns drafts or pending revisions.
// Every read goes through serveContent: answers are cached in memory per
// content version (cache.go), carry a strong ETag and honour If-None-Match.

// contentLoad answers a validated content request from the database. It
// returns []byte when it encodes the answer itself.
type contentLoad func(ctx context.Context) (any, error)

// contentParse validates a request and returns the normalised cache key of
// what it asks for and how to answer it.
type contentParse func(c *gin.Context) (key string, load contentLoad, err error)

// maxQueryRunes bounds a search query.
const maxQueryRunes = 100

// content is the Gin handler of a content read: serveContent with parse.
func (s *Server) content(parse contentParse) gin.HandlerFunc {
	return s.handle(func(c *gin.Context) error { return s.serveContent(c, parse) })
}

// serveContent answers a content read from memory when it can. The raw
// request URI is tried first, so a hot read does not even parse its query;
// then the normalised key, so equivalent spellings share one entry.
func (s *Server) serveContent(c *gin.Context, parse contentParse) error {
	ctx := c.Request.Context()
	sc := s.contentOf(ctx)
	v, cacheable, err := sc.versions.current(ctx)
	if err != nil {
		s.log.Warn("content version unavailable; serving uncached", "err", err)
	}
	raw := c.Request.RequestURI
	if raw == "" {
		raw = c.Request.URL.RequestURI()
	}
	if cacheable {
		if e := sc.cache.get(v, raw); e != nil {
			e.write(c)
			return nil
		}
	}
	key, load, err := parse(c)
	if err != nil {
		return err
	}
	if cacheable {
		if e := sc.cache.get(v, key); e != nil {
			sc.cache.put(v, raw, e)
			e.write(c)
			return nil
		}
	}
	// Concurrent misses of one answer (right after a publish emptied the
	// cache, say) wait for a single database read instead of each making one.
	if !cacheable {
		e, err := s.loadContent(ctx, v, load)
		if err != nil {
			return err
		}
		e.write(c)
		return nil
	}
	res, err, _ := s.flight.Do(strconv.FormatInt(cms.SiteIDFromContext(ctx), 10)+" "+strconv.FormatInt(v, 10)+" "+key, func() (any, error) {
		return s.loadContent(context.WithoutCancel(ctx), v, load)
	})
	if err != nil {
		return err
	}
	e := res.(*cachedResponse)
	sc.cache.put(v, key, e)
	if raw != key {
		sc.cache.put(v, raw, e)
	}
	e.write(c)
	return nil
}

// loadContent makes the answer to a content request. A miss (ENOTFOUND) is
// an answer like any other, cached too, so probing unknown slugs costs no
// queries; other errors are returned.
func (s *Server) loadContent(ctx context.Context, v int64, load contentLoad) (*cachedResponse, error) {
	body, err := load(ctx)
	status := http.StatusOK
	if cms.ErrorCode(err) == cms.ENOTFOUND {
		status, body, err = http.StatusNotFound, errorBody{Error: errorDetail{Code: cms.ENOTFOUND, Message: cms.ErrorMessage(err)}}, nil
	}
	if err != nil {
		return nil, err
	}
	b, ok := body.([]byte)
	if !ok {
		w := newJSONWriter()
		if err := w.value(body); err != nil {
			return nil, err
		}
		b = w.buf.Bytes()
	}
	return newCachedResponse(status, b, v, s.cacheControl), nil
}

func (s *Server) parseContentStories(c *gin.Context) (string, contentLoad, error) {
	q := c.Request.URL.Query()
	fields := map[string]string{}
	p, err := pageQuery(c)
	maps.Copy(fields, fieldsOf(err))
	f := cms.ContentFilter{
		Page: p, Project: strings.TrimSpace(q.Get("project")), Tag: strings.TrimSpace(q.Get("tag")),
		Q: strings.TrimSpace(q.Get("q")), Kind: cms.ProjectKind(q.Get("kind")), Area: cms.Area(q.Get("area")),
	}
	checkKindArea(f.Kind, f.Area, fields)
	if utf8.RuneCountInString(f.Q) > maxQueryRunes {
		fields["q"] = fmt.Sprintf("搜索词不能超过%d个字", maxQueryRunes)
	}
	f.Since, f.Until = timeQuery(c, "since", fields), timeQuery(c, "until", fields)
	if v := q.Get("cursor"); v != "" {
		cur, err := decodeCursor(v)
		switch {
		case err != nil:
			fields["cursor"] = fieldsOf(err)["cursor"]
		case q.Has("page"):
			fields["cursor"] = "cursor 与 page 不能同时使用"
		}
		f.After = cur
	}
	sel, err := parseFields(q.Get("fields"))
	if err != nil {
		fields["fields"] = fieldsOf(err)["fields"]
	}
	if len(fields) > 0 {
		return "", nil, cms.Invalid(fields)
	}
	key := url.Values{
		"project": {f.Project}, "tag": {f.Tag}, "q": {f.Q}, "kind": {string(f.Kind)}, "area": {string(f.Area)},
		"page": {strconv.Itoa(p.Page)}, "per_page": {strconv.Itoa(p.PerPage)}, "cursor": {q.Get("cursor")},
		"since": {timeKey(f.Since)}, "until": {timeKey(f.Until)}, "fields": {sel.String()},
	}
	load := func(ctx context.Context) (any, error) {
		items, total, err := s.cfg.Content.FindLiveStories(ctx, f)
		if err != nil {
			return nil, err
		}
		next := ""
		if len(items) > 0 && ((f.After == nil && p.Offset()+len(items) < total) || (f.After != nil && len(items) == p.PerPage)) {
			next = encodeCursor(items[len(items)-1])
		}
		w := newJSONWriter()
		w.buf.WriteString(`{"items":[`)
		for i, st := range items {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			if err := w.story(st, sel); err != nil {
				return nil, err
			}
		}
		w.buf.WriteString(`],"total":` + strconv.Itoa(total))
		if f.After == nil {
			w.buf.WriteString(`,"page":` + strconv.Itoa(p.Page))
		}
		w.buf.WriteString(`,"per_page":` + strconv.Itoa(p.PerPage))
		if next != "" {
			w.buf.WriteString(`,"next_cursor":"` + next + `"`) // base64url: nothing to escape
		}
		w.buf.WriteByte('}')
		return w.buf.Bytes(), nil
	}
	return "stories?" + key.Encode(), load, nil
}

// checkKindArea adds to fields a project kind or area that is not known.
func checkKindArea(kind cms.ProjectKind, area cms.Area, fields map[string]string) {
	if kind != "" && kind.Label() == string(kind) {
		fields["kind"] = "项目类型必须是 window、volunteer 或 benefit"
	}
	if area != "" && area.Label() == string(area) {
		fields["area"] = "服务领域无效"
	}
}

// fieldsOf returns the offending fields of a validation error, if err is one.
func fieldsOf(err error) map[string]string {
	var e *cms.Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

func timeKey(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func (s *Server) parseContentStory(c *gin.Context) (string, contentLoad, error) {
	slug := c.Param("slug")
	sel, err := parseFields(c.Query("fields"))
	if err != nil {
		return "", nil, err
	}
	load := func(ctx context.Context) (any, error) {
		if !cms.SlugPattern.MatchString(slug) {
			return nil, cms.Errorf(cms.ENOTFOUND, "稿件不存在或未发布")
		}
		st, err := s.cfg.Content.FindLiveStoryBySlug(ctx, slug)
		if err != nil {
			return nil, err
		}
		w := newJSONWriter()
		if err := w.story(st, sel); err != nil {
			return nil, err
		}
		return w.buf.Bytes(), nil
	}
	return "story/" + slug + "?" + sel.String(), load, nil
}

func (s *Server) parseContentProjects(c *gin.Context) (string, contentLoad, error) {
	kind, area := cms.ProjectKind(c.Query("kind")), cms.Area(c.Query("area"))
	fields := map[string]string{}
	checkKindArea(kind, area, fields)
	if len(fields) > 0 {
		return "", nil, cms.Invalid(fields)
	}
	load := func(ctx context.Context) (any, error) {
		f := cms.ProjectFilter{Page: cms.Page{Page: 1, PerPage: cms.MaxPerPage}, Kind: kind, Area: area}
		var all []*cms.Project
		for {
			items, total, err := s.cfg.Projects.FindProjects(ctx, f)
			if err != nil {
				return nil, err
			}
			all = append(all, items...)
			if len(all) >= total || len(items) == 0 {
				break
			}
			f.Page.Page++
		}
		return listAll(all), nil
	}
	return "projects?kind=" + url.QueryEscape(string(kind)) + "&area=" + url.QueryEscape(string(area)), load, nil
}

func (s *Server) parseContentProject(c *gin.Context) (string, contentLoad, error) {
	slug := c.Param("slug")
	load := func(ctx context.Context) (any, error) {
		if !cms.SlugPattern.MatchString(slug) {
			return nil, cms.Errorf(cms.ENOTFOUND, "项目不存在")
		}
		return s.cfg.Projects.FindProjectBySlug(ctx, slug)
	}
	return "project/" + slug, load, nil
}

func (s *Server) parseContentTags(*gin.Context) (string, contentLoad, error) {
	return "tags", func(ctx context.Context) (any, error) {
		tags, err := s.cfg.Content.FindTags(ctx)
		if err != nil {
			return nil, err
		}
		return listAll(tags), nil
	}, nil
}

func (s *Server) parseContentPages(*gin.Context) (string, contentLoad, error) {
	return "pages", func(ctx context.Context) (any, error) {
		pages, err := s.cfg.Pages.FindPages(ctx)
		if err != nil {
			return nil, err
		}
		return listAll(pages), nil
	}, nil
}

// siteIdentity is the public part of the settings: what a portal needs to
// credit the bureau. The WeChat secret is never part of any response.
type siteIdentity struct {
	SiteName     string `json:"site_name"`
	Organizer    string `json:"organizer"`
	Contact      string `json:"contact"`
	ICP          string `json:"icp"`
	PoliceRecord string `json:"police_record"`
	GovSiteCode  string `json:"gov_site_code"`
	BaseURL      string `json:"base_url"`
}

func (s *Server) parseContentSite(*gin.Context) (string, contentLoad, error) {
	return "site", func(ctx context.Context) (any, error) {
		st, err := s.cfg.Settings.FindSettings(ctx)
		if err != nil {
			return nil, err
		}
		return siteIdentity{
			SiteName: st.SiteName, Organizer: st.Organizer, Contact: st.Contact, ICP: st.ICP,
			PoliceRecord: st.PoliceRecord, GovSiteCode: st.GovSiteCode, BaseURL: st.BaseURL,
		}, nil
	}, nil
}
