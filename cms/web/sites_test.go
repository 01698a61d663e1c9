package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/store/storetest"
	"github.com/huimin/huimin/cms/web"
	"github.com/huimin/huimin/cms/web/webtest"
)

// memSites keeps sites in memory the way cms.SiteService says a store
// must: platform admins only, unique slugs and hosts, versioned updates.
type memSites struct {
	mu    sync.Mutex
	sites []*cms.Site
}

func (m *memSites) check(ctx context.Context, s *cms.Site) error {
	if u := cms.UserFromContext(ctx); u == nil || !u.PlatformAdmin {
		return cms.Errorf(cms.EFORBIDDEN, "没有权限")
	}
	if err := s.Validate(); err != nil {
		return err
	}
	for _, o := range m.sites {
		if o.ID == s.ID {
			continue
		}
		if o.Slug == s.Slug {
			return cms.Errorf(cms.ECONFLICT, "站点代号已被使用")
		}
		for _, h := range o.Hosts {
			for _, x := range s.Hosts {
				if h == x {
					return cms.Errorf(cms.ECONFLICT, "域名已被使用")
				}
			}
		}
	}
	return nil
}

func (m *memSites) CreateSite(ctx context.Context, s *cms.Site) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx, s); err != nil {
		return err
	}
	s.ID, s.Version = int64(len(m.sites)+1), 1
	cp := *s
	m.sites = append(m.sites, &cp)
	return nil
}

func (m *memSites) FindSites(context.Context) ([]*cms.Site, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*cms.Site, len(m.sites))
	for i, s := range m.sites {
		cp := *s
		out[i] = &cp
	}
	return out, nil
}

func (m *memSites) FindSiteByID(_ context.Context, id int64) (*cms.Site, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.sites {
		if s.ID == id {
			cp := *s
			return &cp, nil
		}
	}
	return nil, cms.Errorf(cms.ENOTFOUND, "站点不存在")
}

func (m *memSites) UpdateSite(ctx context.Context, s *cms.Site) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.check(ctx, s); err != nil {
		return err
	}
	for _, cur := range m.sites {
		if cur.ID != s.ID {
			continue
		}
		if cur.Version != s.Version {
			cp := *cur
			return &cms.Error{Code: cms.ECONFLICT, Message: "站点已被他人修改", Current: &cp}
		}
		s.Version++
		*cur = *s
		return nil
	}
	return cms.Errorf(cms.ENOTFOUND, "站点不存在")
}

// tokenUsers authenticates fixed tokens as fixed users and records the
// users created; the sites API needs nothing else of a user service.
type tokenUsers struct {
	cms.UserService
	users   map[string]*cms.User
	created []*cms.User
}

func (u *tokenUsers) Authenticate(_ context.Context, token string) (*cms.User, error) {
	if x, ok := u.users[token]; ok {
		cp := *x
		return &cp, nil
	}
	return nil, cms.Errorf(cms.EUNAUTHORIZED, "请先登录")
}

func (u *tokenUsers) CreateUser(_ context.Context, x *cms.User, _ string) error {
	if err := x.Validate(); err != nil {
		return err
	}
	x.ID, x.Version = int64(100+len(u.created)), 1
	u.created = append(u.created, x)
	return nil
}

func TestSites_API(t *testing.T) {
	t.Parallel()
	sites := &memSites{sites: []*cms.Site{{ID: 1, Slug: "default", Name: "惠民", Hosts: []string{}, Version: 1}}}
	users := &tokenUsers{users: map[string]*cms.User{
		"platform":  {ID: 1, Version: 1, Username: "admin", Role: cms.RoleAdmin, PlatformAdmin: true, Sites: []cms.SiteRole{{SiteID: 1, Role: cms.RoleAdmin}}},
		"siteadmin": {ID: 2, Version: 1, Username: "jy", Role: cms.RoleAdmin, Sites: []cms.SiteRole{{SiteID: 2, Role: cms.RoleAdmin}}},
		"single":    {ID: 3, Version: 1, Username: "old", Role: cms.RoleEditor},
	}}
	hs := httptest.NewServer(web.New(web.Config{Users: users, Sites: sites, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(hs.Close)
	s := &apiServer{t: t, url: hs.URL, client: &http.Client{Transport: &webtest.Transport{V: webtest.NewValidator(t), TB: t}}}

	t.Run("a platform admin creates a site", func(t *testing.T) {
		got := s.do("POST", "/api/v1/sites", "platform", map[string]any{"slug": "jiangyin", "name": " 江阴市民政局 ",
			"hosts": []string{"JiangYin.example.test:8080", "jiangyin.example.test", "mz.jiangyin.example.test"}}, nil).want(http.StatusCreated).json()
		if got["id"] != 2.0 || got["name"] != "江阴市民政局" || len(got["hosts"].([]any)) != 2 || got["hosts"].([]any)[0] != "jiangyin.example.test" {
			t.Errorf("created %v", got)
		}
	})
	t.Run("bad fields are named", func(t *testing.T) {
		f := errFields(s.do("POST", "/api/v1/sites", "platform", map[string]any{"slug": "Jiang Yin", "name": "", "hosts": []string{"bad_host!"}}, nil).
			want(http.StatusUnprocessableEntity))
		for _, k := range []string{"slug", "name", "hosts"} {
			if f[k] == nil {
				t.Errorf("no error for %s: %v", k, f)
			}
		}
		s.do("POST", "/api/v1/sites", "platform", map[string]any{"slug": "jiangyin", "name": "重复"}, nil).want(http.StatusConflict)
	})
	t.Run("only platform admins create and change sites", func(t *testing.T) {
		s.do("POST", "/api/v1/sites", "siteadmin", map[string]any{"slug": "yixing", "name": "宜兴"}, nil).want(http.StatusForbidden)
		s.do("PUT", "/api/v1/sites/2", "siteadmin", map[string]any{"name": "改名", "version": 1}, nil).want(http.StatusForbidden)
		s.do("GET", "/api/v1/sites", "", nil, nil).want(http.StatusUnauthorized)
	})
	t.Run("each sees their own sites", func(t *testing.T) {
		for token, want := range map[string][]string{"platform": {"default", "jiangyin"}, "siteadmin": {"jiangyin"}, "single": {}} {
			items := s.do("GET", "/api/v1/sites", token, nil, nil).want(http.StatusOK).items()
			var slugs []string
			for _, it := range items {
				slugs = append(slugs, it["slug"].(string))
			}
			if len(slugs) != len(want) || (len(want) > 0 && slugs[len(slugs)-1] != want[len(want)-1]) {
				t.Errorf("%s sees %v, want %v", token, slugs, want)
			}
		}
	})
	t.Run("versioned update", func(t *testing.T) {
		got := s.do("PUT", "/api/v1/sites/2", "platform", map[string]any{"name": "江阴市民政局（新）", "hosts": []string{"jy.example.test"}, "overview": true, "version": 1}, nil).
			want(http.StatusOK).json()
		if got["version"] != 2.0 || got["slug"] != "jiangyin" || got["overview"] != true {
			t.Errorf("updated %v", got)
		}
		e := s.do("PUT", "/api/v1/sites/2", "platform", map[string]any{"name": "旧版本", "version": 1}, nil).want(http.StatusConflict).json()["error"].(map[string]any)
		if e["current_version"] != 2.0 || e["current"].(map[string]any)["name"] != "江阴市民政局（新）" {
			t.Errorf("conflict %v", e)
		}
		if r := s.do("PUT", "/api/v1/sites/2", "platform", map[string]any{"slug": "other", "name": "x", "version": 2}, nil).want(http.StatusUnprocessableEntity); errFields(r)["slug"] == nil {
			t.Errorf("changing the slug: %s", r.body)
		}
		if r := s.do("PUT", "/api/v1/sites/2", "platform", map[string]any{"name": "x"}, nil).want(http.StatusUnprocessableEntity); errFields(r)["version"] == nil {
			t.Errorf("no version: %s", r.body)
		}
		s.do("PUT", "/api/v1/sites/9", "platform", map[string]any{"name": "x", "version": 1}, nil).want(http.StatusNotFound)
	})
	t.Run("me says platform admin, sites and the site acted in", func(t *testing.T) {
		me := s.do("GET", "/api/v1/auth/me", "single", nil, nil).want(http.StatusOK).json()
		if me["platform_admin"] != false || me["sites"] == nil || len(me["sites"].([]any)) != 0 || me["site_id"] != 1.0 {
			t.Errorf("me %v", me)
		}
		me = s.do("GET", "/api/v1/auth/me", "platform", nil, nil).want(http.StatusOK).json()
		if me["platform_admin"] != true || len(me["sites"].([]any)) != 1 {
			t.Errorf("me %v", me)
		}
	})
	t.Run("roles per site are for platform admins to give", func(t *testing.T) {
		body := map[string]any{"username": "zhou", "name": "周敏", "password": "password-zhou",
			"sites": []map[string]any{{"site_id": 2, "role": "reviewer", "level": 2}, {"site_id": 1, "role": "editor"}}}
		s.do("POST", "/api/v1/users", "siteadmin", body, nil).want(http.StatusForbidden)
		s.do("POST", "/api/v1/users", "siteadmin", map[string]any{"username": "x", "password": "password-x", "role": "editor", "platform_admin": true}, nil).want(http.StatusForbidden)
		bad := map[string]any{"username": "zhou", "password": "password-zhou", "sites": []map[string]any{{"site_id": 2, "role": "reviewer"}}}
		if r := s.do("POST", "/api/v1/users", "platform", bad, nil).want(http.StatusUnprocessableEntity); errFields(r)["sites"] == nil {
			t.Errorf("a reviewer without level: %s", r.body)
		}
		bad["sites"] = []map[string]any{{"site_id": 1, "role": "editor"}, {"site_id": 1, "role": "admin"}}
		s.do("POST", "/api/v1/users", "platform", bad, nil).want(http.StatusUnprocessableEntity)
		u := s.do("POST", "/api/v1/users", "platform", body, nil).want(http.StatusCreated).json()
		// The request acted in site 1, so the role is site 1's.
		if u["role"] != "editor" || u["level"] != 0.0 || len(u["sites"].([]any)) != 2 {
			t.Errorf("created %v", u)
		}
		if c := users.created[len(users.created)-1]; len(c.Sites) != 2 || c.Sites[0] != (cms.SiteRole{SiteID: 2, Role: cms.RoleReviewer, Level: 2}) {
			t.Errorf("the store got %+v", c)
		}
	})
}

// TestSites_Store runs the sites API on the store, on SQLite and MySQL: a
// new site answers to its slug at once, roles per site decide what /me
// says and which sites one lists, and only platform admins manage sites
// and give roles per site.
func TestSites_Store(t *testing.T) {
	t.Parallel()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := newAPIServer(t, db, func(c *web.Config) { c.Sites = db })
		ctx := context.Background()
		if err := db.CreateUser(ctx, &cms.User{Username: "boss", Name: "平台管理员", Role: cms.RoleAdmin, PlatformAdmin: true}, "boss-password"); err != nil {
			t.Fatal(err)
		}
		boss := s.login("boss", "boss-password")
		jy := map[string]string{cms.SiteHeader: "jiangyin"}

		site := s.do("POST", "/api/v1/sites", boss, map[string]any{"slug": "jiangyin", "name": "江阴市民政局", "hosts": []string{"jiangyin.example.test"}}, nil).
			want(http.StatusCreated).json()
		s.do("GET", "/api/v1/stories", boss, nil, jy).want(http.StatusOK)
		s.do("POST", "/api/v1/sites", boss, map[string]any{"slug": "jiangyin", "name": "又一个"}, nil).want(http.StatusUnprocessableEntity)

		u := s.do("POST", "/api/v1/users", boss, map[string]any{"username": "zhou", "name": "周敏", "password": "zhou-password",
			"sites": []map[string]any{{"site_id": 1, "role": "editor"}, {"site_id": site["id"], "role": "reviewer", "level": 2}}}, nil).
			want(http.StatusCreated).json()
		if u["role"] != "editor" || len(u["sites"].([]any)) != 2 {
			t.Errorf("created %v", u)
		}
		zhou := s.login("zhou", "zhou-password")
		me := s.do("GET", "/api/v1/auth/me", zhou, nil, jy).want(http.StatusOK).json()
		if me["role"] != "reviewer" || me["level"] != 2.0 || me["site_id"] != site["id"] || me["platform_admin"] != false {
			t.Errorf("me in site 2: %v", me)
		}
		if me := s.do("GET", "/api/v1/auth/me", zhou, nil, nil).want(http.StatusOK).json(); me["role"] != "editor" || me["site_id"] != 1.0 {
			t.Errorf("me in site 1: %v", me)
		}
		if n := len(s.do("GET", "/api/v1/sites", zhou, nil, jy).want(http.StatusOK).items()); n != 2 {
			t.Errorf("zhou lists %d sites, want both of theirs", n)
		}

		// A site admin of 江阴 only: their one site, no site management,
		// no roles per site to give.
		s.do("POST", "/api/v1/users", boss, map[string]any{"username": "jyadmin", "password": "jyadmin-password",
			"sites": []map[string]any{{"site_id": site["id"], "role": "admin"}}}, nil).want(http.StatusCreated)
		jyadmin := s.login("jyadmin", "jyadmin-password")
		if items := s.do("GET", "/api/v1/sites", jyadmin, nil, jy).want(http.StatusOK).items(); len(items) != 1 || items[0]["slug"] != "jiangyin" {
			t.Errorf("the site admin lists %v", items)
		}
		s.do("GET", "/api/v1/sites", jyadmin, nil, nil).want(http.StatusForbidden) // no role in site 1
		s.do("POST", "/api/v1/sites", jyadmin, map[string]any{"slug": "yixing", "name": "宜兴"}, jy).want(http.StatusForbidden)
		s.do("PUT", fmt.Sprintf("/api/v1/sites/%v", site["id"]), jyadmin, map[string]any{"name": "改名", "version": 1}, jy).want(http.StatusForbidden)
		s.do("POST", "/api/v1/users", jyadmin, map[string]any{"username": "x", "password": "x-password",
			"sites": []map[string]any{{"site_id": 1, "role": "admin"}}}, jy).want(http.StatusForbidden)

		path := fmt.Sprintf("/api/v1/sites/%v", site["id"])
		got := s.do("PUT", path, boss, map[string]any{"name": "江阴市民政局（新）", "hosts": []string{"jy.example.test"}, "overview": true, "version": 1}, nil).
			want(http.StatusOK).json()
		if got["version"] != 2.0 || got["hosts"].([]any)[0] != "jy.example.test" {
			t.Errorf("updated %v", got)
		}
		e := s.do("PUT", path, boss, map[string]any{"name": "旧的", "version": 1}, nil).want(http.StatusConflict).json()["error"].(map[string]any)
		if e["current_version"] != 2.0 {
			t.Errorf("conflict %v", e)
		}
	})
}
