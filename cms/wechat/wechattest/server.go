// Package wechattest is a local HTTP server implementing the documented
// request and response contract of the WeChat Official Account endpoints
// Huimin calls. WeChat's servers cannot be reached from where Huimin is
// developed and tested, so the draft flow is contract-tested against this
// server, never against WeChat itself. Everything it checks comes from
// WeChat's own reference (developers.weixin.qq.com/doc/offiaccount and
// /doc/subscription/api):
//
//   - POST /cgi-bin/stable_token, JSON {grant_type: "client_credential",
//     appid, secret, force_refresh}: {access_token, expires_in: 7200}. In
//     normal mode every caller gets the same token while it lasts; force
//     mode replaces it. Errors 40013 (invalid appid), 40125 (invalid
//     appsecret), 40164 ("invalid ip <ip> ipv6 ::ffff:<ip>, not in
//     whitelist rid: …"), 40002 (invalid grant_type).
//   - every other call takes ?access_token=: 41001 when missing, 40001
//     when not the current one, 42001 when expired.
//   - POST /cgi-bin/media/uploadimg, multipart field "media": jpg or png
//     under 1 MB (40005 invalid file type, 40009 invalid image size);
//     {url}: the only picture URLs an article body may contain.
//   - POST /cgi-bin/material/add_material?type=image, multipart field
//     "media": bmp/png/jpeg/gif up to 10 MB; {media_id, url}. 40004 for
//     another type.
//   - POST /cgi-bin/draft/add, JSON {articles: [1..8 articles]}: title
//     required, content required, thumb_media_id of permanent material
//     (40007 invalid media_id); content under 20,000 characters and 1 MB
//     (45002); title at most 64 characters (45003), author 8 (45110),
//     digest 120 (45004) — the limits of the 公众号 editor, which WeChat's
//     draft reference defers to; {media_id}.
//   - POST /cgi-bin/draft/update, JSON {media_id, index, articles: article}:
//     40007 for an unknown draft; {errcode: 0, errmsg: "ok"}.
//   - any call can be made to fail with a given errcode (Fail), a token to
//     expire (ExpireToken), the caller's IP to be off the whitelist (DenyIP).
//
// Pictures uploaded through uploadimg are served back at the URL returned,
// so a converted article renders in a browser as WeChat would show it.
package wechattest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// The documented limits the server enforces.
const (
	MaxTitle        = 64
	MaxAuthor       = 8
	MaxDigest       = 120
	MaxContentChars = 20000
	MaxContentBytes = 1 << 20
	MaxUploadImg    = 1 << 20
	MaxMaterial     = 10 << 20
)

// Article is an article as draft/add receives it.
type Article struct {
	Title              string `json:"title"`
	Author             string `json:"author"`
	Digest             string `json:"digest"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"content_source_url"`
	ThumbMediaID       string `json:"thumb_media_id"`
	NeedOpenComment    int    `json:"need_open_comment"`
	OnlyFansCanComment int    `json:"only_fans_can_comment"`
}

// Server is the contract server. Its URL is the base URL to give the client.
type Server struct {
	*httptest.Server
	AppID, Secret string

	mu       sync.Mutex
	calls    map[string]int
	seq      int
	token    string
	expired  bool
	deny     string
	failures map[string][]failure
	images   map[string][]byte // uploadimg URL path → bytes
	material map[string]bool
	drafts   map[string]Article
}

type failure struct {
	code int
	msg  string
}

// New starts a contract server for the account appID/secret, closed when
// the test ends.
func New(tb testing.TB, appID, secret string) *Server {
	s := &Server{AppID: appID, Secret: secret, calls: map[string]int{}, failures: map[string][]failure{},
		images: map[string][]byte{}, material: map[string]bool{}, drafts: map[string]Article{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cgi-bin/stable_token", s.stableToken)
	mux.HandleFunc("POST /cgi-bin/media/uploadimg", s.withToken("uploadimg", s.uploadImg))
	mux.HandleFunc("POST /cgi-bin/material/add_material", s.withToken("add_material", s.addMaterial))
	mux.HandleFunc("POST /cgi-bin/draft/add", s.withToken("draft/add", s.draftAdd))
	mux.HandleFunc("POST /cgi-bin/draft/update", s.withToken("draft/update", s.draftUpdate))
	mux.HandleFunc("GET /mmbiz_jpg/{id}/0", s.image)
	s.Server = httptest.NewServer(mux)
	tb.Cleanup(s.Close)
	return s
}

// Calls returns how many requests the endpoint op received (stable_token,
// uploadimg, add_material, draft/add, draft/update).
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// AllCalls returns the counts of every endpoint.
func (s *Server) AllCalls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.calls)
}

// Fail makes the next call to op answer errcode code with msg.
func (s *Server) Fail(op string, code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[op] = append(s.failures[op], failure{code, msg})
}

// ExpireToken makes the current access token expire: calls using it get
// 42001 and stable_token hands out a new one.
func (s *Server) ExpireToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expired = true
}

// DenyIP takes the caller off the IP whitelist, reporting ip as WeChat
// would (it names the address the request came from).
func (s *Server) DenyIP(ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = ip
}

// DeleteMaterial removes permanent material, as an operator deleting it in
// the WeChat platform would.
func (s *Server) DeleteMaterial(mediaID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.material, mediaID)
}

// DeleteDraft removes a draft, as mass-sending or deleting it would.
func (s *Server) DeleteDraft(mediaID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.drafts, mediaID)
}

// Draft returns the draft media_id holds.
func (s *Server) Draft(mediaID string) (Article, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.drafts[mediaID]
	return a, ok
}

// Issued reports whether url was returned by uploadimg.
func (s *Server) Issued(url string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := strings.TrimPrefix(url, s.URL)
	return path != url && s.images[path] != nil
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func errcode(w http.ResponseWriter, code int, msg string) {
	reply(w, map[string]any{"errcode": code, "errmsg": msg + " rid: 0000-contract"})
}

// failed answers an injected failure of op, if one is queued, and reports
// whether it did. It runs with s.mu held.
func (s *Server) failed(w http.ResponseWriter, op string) bool {
	q := s.failures[op]
	if len(q) == 0 {
		return false
	}
	s.failures[op] = q[1:]
	errcode(w, q[0].code, q[0].msg)
	return true
}

func readBody(r *http.Request) []byte {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	return b
}

// decode reads a JSON request into v, answering 47001 when it is not JSON.
func decode(w http.ResponseWriter, body []byte, v any) bool {
	if err := json.Unmarshal(body, v); err != nil {
		errcode(w, 47001, "data format error")
		return false
	}
	return true
}

func (s *Server) stableToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body := readBody(r)
	s.calls["stable_token"]++
	if s.failed(w, "stable_token") {
		return
	}
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if !decode(w, body, &req) {
		return
	}
	switch {
	case req.GrantType != "client_credential":
		errcode(w, 40002, "invalid grant_type")
	case req.AppID != s.AppID:
		errcode(w, 40013, "invalid appid")
	case req.Secret != s.Secret:
		errcode(w, 40125, "invalid appsecret")
	case s.deny != "":
		errcode(w, 40164, fmt.Sprintf("invalid ip %s ipv6 ::ffff:%s, not in whitelist", s.deny, s.deny))
	default:
		if s.token == "" || s.expired || req.ForceRefresh {
			s.seq++
			s.token = fmt.Sprintf("CONTRACT-TOKEN-%d", s.seq)
			s.expired = false
		}
		reply(w, map[string]any{"access_token": s.token, "expires_in": 7200})
	}
}

// withToken checks ?access_token= before the endpoint runs, with s.mu held.
func (s *Server) withToken(op string, h func(w http.ResponseWriter, body []byte, ctype string, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		body := readBody(r)
		s.calls[op]++
		switch tok := r.URL.Query().Get("access_token"); {
		case tok == "":
			errcode(w, 41001, "access_token missing")
		case tok != s.token:
			errcode(w, 40001, "invalid credential, access_token is invalid or not latest")
		case s.expired:
			errcode(w, 42001, "access_token expired")
		case !s.failed(w, op):
			h(w, body, r.Header.Get("Content-Type"), r)
		}
	}
}

// media reads the multipart field "media" the upload endpoints take.
func media(body []byte, ctype string) ([]byte, bool) {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil || mt != "multipart/form-data" {
		return nil, false
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, false
		}
		if p.FormName() == "media" {
			b, err := io.ReadAll(p)
			return b, err == nil && p.FileName() != ""
		}
	}
}

func (s *Server) uploadImg(w http.ResponseWriter, body []byte, ctype string, _ *http.Request) {
	data, ok := media(body, ctype)
	if !ok {
		errcode(w, 41005, "media data missing")
		return
	}
	if t := http.DetectContentType(data); t != "image/jpeg" && t != "image/png" {
		errcode(w, 40005, "invalid file type")
		return
	}
	if len(data) >= MaxUploadImg {
		errcode(w, 40009, "invalid image size")
		return
	}
	s.seq++
	path := fmt.Sprintf("/mmbiz_jpg/contract%d/0", s.seq)
	s.images[path] = data
	reply(w, map[string]any{"url": s.URL + path})
}

func (s *Server) addMaterial(w http.ResponseWriter, body []byte, ctype string, r *http.Request) {
	if r.URL.Query().Get("type") != "image" {
		errcode(w, 40004, "invalid media type")
		return
	}
	data, ok := media(body, ctype)
	if !ok {
		errcode(w, 41005, "media data missing")
		return
	}
	switch http.DetectContentType(data) {
	case "image/jpeg", "image/png", "image/gif", "image/bmp":
	default:
		errcode(w, 40005, "invalid file type")
		return
	}
	if len(data) > MaxMaterial {
		errcode(w, 40009, "invalid image size")
		return
	}
	s.seq++
	id := fmt.Sprintf("CONTRACT-MATERIAL-%d", s.seq)
	s.material[id] = true
	reply(w, map[string]any{"media_id": id, "url": s.URL + "/mmbiz_jpg/material" + id + "/0"})
}

// check applies the documented article limits; it returns an errcode and
// message, or 0.
func (s *Server) check(a Article) (int, string) {
	switch {
	case a.Title == "":
		return 44003, "empty news data"
	case utf8.RuneCountInString(a.Title) > MaxTitle:
		return 45003, "title size out of limit"
	case utf8.RuneCountInString(a.Author) > MaxAuthor:
		return 45110, "author size out of limit"
	case utf8.RuneCountInString(a.Digest) > MaxDigest:
		return 45004, "description size out of limit"
	case a.Content == "":
		return 44004, "empty content"
	case utf8.RuneCountInString(a.Content) >= MaxContentChars || len(a.Content) >= MaxContentBytes:
		return 45002, "content size out of limit"
	case !s.material[a.ThumbMediaID]:
		return 40007, "invalid media_id"
	}
	return 0, ""
}

func (s *Server) draftAdd(w http.ResponseWriter, body []byte, _ string, _ *http.Request) {
	var req struct {
		Articles []Article `json:"articles"`
	}
	if !decode(w, body, &req) {
		return
	}
	if len(req.Articles) == 0 || len(req.Articles) > 8 {
		errcode(w, 45008, "article size out of limit")
		return
	}
	for _, a := range req.Articles {
		if code, msg := s.check(a); code != 0 {
			errcode(w, code, msg)
			return
		}
	}
	s.seq++
	id := fmt.Sprintf("CONTRACT-DRAFT-%d", s.seq)
	s.drafts[id] = req.Articles[0]
	reply(w, map[string]any{"media_id": id})
}

func (s *Server) draftUpdate(w http.ResponseWriter, body []byte, _ string, _ *http.Request) {
	var req struct {
		MediaID  string  `json:"media_id"`
		Index    int     `json:"index"`
		Articles Article `json:"articles"`
	}
	if !decode(w, body, &req) {
		return
	}
	if _, ok := s.drafts[req.MediaID]; !ok {
		errcode(w, 40007, "invalid media_id")
		return
	}
	if req.Index != 0 {
		errcode(w, 40007, "invalid index")
		return
	}
	if code, msg := s.check(req.Articles); code != 0 {
		errcode(w, code, msg)
		return
	}
	s.drafts[req.MediaID] = req.Articles
	reply(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

func (s *Server) image(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	b := s.images[r.URL.Path]
	s.mu.Unlock()
	if b == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", http.DetectContentType(b))
	_, _ = w.Write(b)
}

// ImageSources returns the src of every <img> of an article's content.
func ImageSources(content string) []string {
	var out []string
	z := html.NewTokenizer(strings.NewReader(content))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			if t.Data == "img" {
				for _, a := range t.Attr {
					if a.Key == "src" {
						out = append(out, a.Val)
					}
				}
			}
		}
	}
}
