package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/web"
	"github.com/huimin/huimin/cms/web/webtest"
)

// countingContent counts the content queries that reach the store, to show
// which reads the memory cache answers.
type countingContent struct {
	cms.ContentService
	queries atomic.Int64
}

func (c *countingContent) FindLiveStories(ctx context.Context, f cms.ContentFilter) ([]*cms.LiveStory, int, error) {
	c.queries.Add(1)
	return c.ContentService.FindLiveStories(ctx, f)
}

func (c *countingContent) FindLiveStoryBySlug(ctx context.Context, slug string) (*cms.LiveStory, error) {
	c.queries.Add(1)
	return c.ContentService.FindLiveStoryBySlug(ctx, slug)
}

// apiServer is a web.Server on a real store behind httptest, with a client
// that validates every answer against the OpenAPI document.
type apiServer struct {
	t       *testing.T
	db      *store.DB
	url     string
	client  *http.Client
	content *countingContent
	admin   string     // bearer token
	cfg     web.Config // what the server was made with, for replica
}

func newAPIServer(t *testing.T, db *store.DB, mod func(*web.Config)) *apiServer {
	t.Helper()
	content := &countingContent{ContentService: db}
	cfg := web.Config{
		Stories: db, Projects: db, Users: db, Settings: db, Pages: db, Builds: db, Audit: db, Media: db,
		Content: content, ContentVersion: db, APIKeys: db, CORSOrigins: []string{"*"}, Logins: db,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if mod != nil {
		mod(&cfg)
	}
	hs := httptest.NewServer(web.New(cfg))
	t.Cleanup(hs.Close)
	s := &apiServer{t: t, db: db, url: hs.URL, content: content, cfg: cfg,
		// Without transparent gzip, so tags compare as the server sent them.
		client: &http.Client{Transport: &webtest.Transport{V: webtest.NewValidator(t), TB: t,
			Base: &http.Transport{DisableCompression: true}}}}
	t.Cleanup(s.client.CloseIdleConnections)
	ctx := context.Background()
	if err := db.CreateUser(ctx, &cms.User{Username: "admin", Name: "管理员", Role: cms.RoleAdmin}, "admin-password"); err != nil {
		t.Fatal(err)
	}
	s.admin = s.login("admin", "admin-password")
	return s
}

// openStore opens a store on dsn with its files in dir, closed when the
// test ends.
func openStore(t *testing.T, dsn, dir string, opts ...store.Option) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, dir, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// userID finds a user's id by name through the admin API.
func (s *apiServer) userID(username string) int64 {
	s.t.Helper()
	for _, u := range s.do("GET", "/api/v1/users", s.admin, nil, nil).want(http.StatusOK).items() {
		if u["username"] == username {
			return num(u, "id")
		}
	}
	s.t.Fatalf("no user %s", username)
	return 0
}

func (s *apiServer) login(user, password string) string {
	s.t.Helper()
	r := s.do("POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": password}, nil)
	r.want(http.StatusOK)
	return r.json()["token"].(string)
}

// reply is an answer with its body read.
type reply struct {
	t      *testing.T
	status int
	header http.Header
	body   []byte
}

func (r reply) want(status int) reply {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("status %d, want %d: %.500s", r.status, status, r.body)
	}
	return r
}

func (r reply) json() map[string]any {
	r.t.Helper()
	out := map[string]any{}
	if err := json.Unmarshal(r.body, &out); err != nil {
		r.t.Fatalf("invalid JSON %q: %v", r.body, err)
	}
	return out
}

func (r reply) items() []map[string]any {
	r.t.Helper()
	var out []map[string]any
	for _, it := range r.json()["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// do sends a request; header may add request headers, "Host" among them
// (the site a request acts in).
func (s *apiServer) do(method, path, token string, body any, header map[string]string) reply {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{t: s.t, status: resp.StatusCode, header: resp.Header, body: b}
}

func (s *apiServer) get(path string) reply { s.t.Helper(); return s.do("GET", path, "", nil, nil) }

// project creates a project through the management API.
func (s *apiServer) project(name, slug string, kind cms.ProjectKind, area cms.Area) int64 {
	s.t.Helper()
	r := s.do("POST", "/api/v1/projects", s.admin, map[string]any{"name": name, "slug": slug, "kind": kind, "area": area}, nil).want(http.StatusCreated)
	return int64(r.json()["id"].(float64))
}

// story creates a draft through the management API and returns its id and slug.
func (s *apiServer) story(fields map[string]any) (int64, string) {
	s.t.Helper()
	r := s.do("POST", "/api/v1/stories", s.admin, fields, nil).want(http.StatusCreated)
	out := r.json()
	return int64(out["id"].(float64)), out["slug"].(string)
}

func (s *apiServer) act(id int64, action string) map[string]any {
	s.t.Helper()
	return s.do("POST", fmt.Sprintf("/api/v1/stories/%d/actions/%s", id, action), s.admin, nil, nil).want(http.StatusOK).json()
}

// published creates and publishes a story (admins may publish directly).
func (s *apiServer) published(fields map[string]any) (int64, string) {
	s.t.Helper()
	id, slug := s.story(fields)
	s.act(id, "publish")
	return id, slug
}

func contains(b []byte, words ...string) string {
	for _, w := range words {
		if strings.Contains(string(b), w) {
			return w
		}
	}
	return ""
}
