package site

import (
	"bytes"
	"context"
	"io"
	"iter"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/objstore"
)

// platformStore is a store of several sites for the site package's tests:
// each call goes to the fixture of the site its context acts in, as the
// real store's site scope does, so a call a Site makes without its site
// reads the default site's data (and a call with an all-sites context is
// an error: nothing a Site does is platform-wide).
type platformStore struct {
	t     testing.TB
	mu    sync.Mutex
	by    map[int64]*fixture
	sites []*cms.Site
}

func newPlatformStore(t testing.TB) *platformStore {
	return &platformStore{t: t, by: map[int64]*fixture{}}
}

// addSite adds a site whose fixture names it: its settings' site name and
// the title of its first story carry name.
func (m *platformStore) addSite(id int64, slug, name string, hosts ...string) *fixture {
	f := newFixture()
	f.settings.SiteName = name
	f.settings.BaseURL = "https://" + slug + ".example.cn"
	f.stories[1].Title = name + "的第一场集体颁证仪式"
	m.mu.Lock()
	defer m.mu.Unlock()
	m.by[id] = f
	m.sites = append(m.sites, &cms.Site{ID: id, Slug: slug, Name: name, Hosts: hosts})
	return f
}

func (m *platformStore) f(ctx context.Context) *fixture {
	if cms.AllSitesFromContext(ctx) {
		m.t.Errorf("a site's store call made with an all-sites context")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.by[cms.SiteIDFromContext(ctx)]
	if f == nil {
		m.t.Errorf("a store call for site %d, which does not exist", cms.SiteIDFromContext(ctx))
		return newFixture()
	}
	return f
}

// SiteService

func (m *platformStore) FindSites(ctx context.Context) ([]*cms.Site, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.sites), nil
}
func (m *platformStore) FindSiteByID(ctx context.Context, id int64) (*cms.Site, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.sites {
		if s.ID == id {
			return s, nil
		}
	}
	return nil, errNotFound
}
func (m *platformStore) CreateSite(context.Context, *cms.Site) error { return errUnused }
func (m *platformStore) UpdateSite(context.Context, *cms.Site) error { return errUnused }

// The site's services, each going to the fixture of the context's site.

func (m *platformStore) FindLiveStories(ctx context.Context, f cms.ContentFilter) ([]*cms.LiveStory, int, error) {
	return m.f(ctx).FindLiveStories(ctx, f)
}
func (m *platformStore) FindLiveStoryBySlug(ctx context.Context, slug string) (*cms.LiveStory, error) {
	return m.f(ctx).FindLiveStoryBySlug(ctx, slug)
}
func (m *platformStore) EachLiveStory(ctx context.Context, fn func(*cms.LiveStory) error) error {
	return m.f(ctx).EachLiveStory(ctx, fn)
}
func (m *platformStore) FindTags(ctx context.Context) ([]*cms.TagCount, error) {
	return m.f(ctx).FindTags(ctx)
}
func (m *platformStore) FindProjectByID(ctx context.Context, id int64) (*cms.Project, error) {
	return m.f(ctx).FindProjectByID(ctx, id)
}
func (m *platformStore) FindProjectBySlug(ctx context.Context, slug string) (*cms.Project, error) {
	return m.f(ctx).FindProjectBySlug(ctx, slug)
}
func (m *platformStore) FindProjects(ctx context.Context, f cms.ProjectFilter) ([]*cms.Project, int, error) {
	return m.f(ctx).FindProjects(ctx, f)
}
func (m *platformStore) CreateProject(ctx context.Context, p *cms.Project) error {
	return m.f(ctx).CreateProject(ctx, p)
}
func (m *platformStore) UpdateProject(ctx context.Context, id int64, u cms.ProjectUpdate) (*cms.Project, error) {
	return m.f(ctx).UpdateProject(ctx, id, u)
}
func (m *platformStore) DeleteProject(ctx context.Context, id int64) error {
	return m.f(ctx).DeleteProject(ctx, id)
}
func (m *platformStore) FindBrands(ctx context.Context) ([]*cms.Brand, error) {
	return m.f(ctx).FindBrands(ctx)
}
func (m *platformStore) CreateBrand(ctx context.Context, b *cms.Brand) error {
	return m.f(ctx).CreateBrand(ctx, b)
}
func (m *platformStore) UpdateBrand(ctx context.Context, b *cms.Brand) error {
	return m.f(ctx).UpdateBrand(ctx, b)
}
func (m *platformStore) FindPages(ctx context.Context) ([]*cms.StandingPage, error) {
	return m.f(ctx).FindPages(ctx)
}
func (m *platformStore) SavePage(ctx context.Context, p *cms.StandingPage) error {
	return m.f(ctx).SavePage(ctx, p)
}
func (m *platformStore) DeletePage(ctx context.Context, id int64) error {
	return m.f(ctx).DeletePage(ctx, id)
}
func (m *platformStore) FindSettings(ctx context.Context) (*cms.Settings, error) {
	return m.f(ctx).FindSettings(ctx)
}
func (m *platformStore) UpdateSettings(ctx context.Context, u cms.SettingsUpdate) (*cms.Settings, error) {
	return m.f(ctx).UpdateSettings(ctx, u)
}
func (m *platformStore) CreateBuild(ctx context.Context, b *cms.Build) error {
	return m.f(ctx).CreateBuild(ctx, b)
}
func (m *platformStore) UpdateBuild(ctx context.Context, b *cms.Build) error {
	return m.f(ctx).UpdateBuild(ctx, b)
}
func (m *platformStore) FindBuildByID(ctx context.Context, id int64) (*cms.Build, error) {
	return m.f(ctx).FindBuildByID(ctx, id)
}
func (m *platformStore) FindBuilds(ctx context.Context, p cms.Page) ([]*cms.Build, int, error) {
	return m.f(ctx).FindBuilds(ctx, p)
}

var _ cms.SiteService = (*platformStore)(nil)

// memBucket is a Bucket in memory.
type memBucket struct {
	mu   sync.Mutex
	objs map[string][]byte
}

func (b *memBucket) Put(ctx context.Context, key string, r io.Reader, size int64, o objstore.PutOptions) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.objs == nil {
		b.objs = map[string][]byte{}
	}
	b.objs[key] = data
	return nil
}

func (b *memBucket) ReadAll(ctx context.Context, key string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	data, ok := b.objs[key]
	if !ok {
		return nil, objstore.ErrNotFound
	}
	return bytes.Clone(data), nil
}

func (b *memBucket) Delete(ctx context.Context, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.objs, key)
	return nil
}

func (b *memBucket) List(ctx context.Context, prefix string) iter.Seq2[objstore.Info, error] {
	b.mu.Lock()
	var infos []objstore.Info
	for _, k := range slices.Sorted(maps.Keys(b.objs)) {
		if strings.HasPrefix(k, prefix) {
			infos = append(infos, objstore.Info{Key: k, Size: int64(len(b.objs[k]))})
		}
	}
	b.mu.Unlock()
	return func(yield func(objstore.Info, error) bool) {
		for _, i := range infos {
			if !yield(i, nil) {
				return
			}
		}
	}
}

func (b *memBucket) has(key string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.objs[key]
	return ok
}

func newPlatform(t testing.TB, m *platformStore, edit ...func(*PlatformConfig)) *Platform {
	t.Helper()
	cfg := PlatformConfig{
		Sites: m,
		Config: Config{
			DataDir: t.TempDir(), Source: os.DirFS(repoRoot),
			Content: m, Projects: m, Pages: m, Settings: m, Builds: m,
			Logger: testLog(t, slog.LevelWarn),
		},
		Poll: time.Hour, // tests refresh by hand
	}
	for _, e := range edit {
		e(&cfg)
	}
	p, err := NewPlatform(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runPlatform runs p's builders for a test.
func runPlatform(t testing.TB, p *Platform) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func inSite(id int64) context.Context { return cms.NewContextWithSite(context.Background(), id) }

// buildOn queues a build on site id through the platform and waits for it
// to succeed.
func buildOn(t testing.TB, p *Platform, id int64, c cms.Change, full bool) *cms.Build {
	t.Helper()
	ctx, cancel := context.WithTimeout(inSite(id), 2*time.Minute)
	defer cancel()
	var b *cms.Build
	var err error
	if full {
		b, err = p.Rebuild(ctx, c.Reason)
	} else {
		b, err = p.Enqueue(ctx, c)
	}
	if err != nil {
		t.Fatal(err)
	}
	if b, err = p.Wait(ctx, b.ID); err != nil {
		t.Fatalf("site %d, build %d: %v", id, b.ID, err)
	}
	if b.Status != cms.BuildSucceeded {
		t.Fatalf("site %d: build %d (%s) failed: %s", id, b.ID, c.Reason, b.Error)
	}
	return b
}

// hostGet fetches path from the platform's public handler as host.
func hostGet(t testing.TB, p *Platform, host, path string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Host = host
	w := httptest.NewRecorder()
	p.Handler().ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

func TestPlatform_SitesBuildAndServeApart(t *testing.T) {
	m := newPlatformStore(t)
	m.addSite(1, "city", "市民政局", "city.example.cn")
	fb := m.addSite(2, "jiangyin", "江阴民政", "jiangyin.example.cn", "www.jiangyin.example.cn")
	m.addSite(3, "yixing", "宜兴民政", "yixing.example.cn")
	bucket := &memBucket{}
	p := newPlatform(t, m, func(c *PlatformConfig) { c.Bucket = bucket })
	runPlatform(t, p)
	for _, id := range []int64{1, 2, 3} {
		buildOn(t, p, id, cms.Change{Reason: "first"}, true)
	}

	// The default site keeps the paths of a single-site installation; the
	// others live under sites/<slug>, on disk and in the bucket.
	data := p.cfg.DataDir
	for id, dir := range map[int64]string{1: filepath.Join(data, "site"), 2: filepath.Join(data, "sites", "jiangyin", "site"),
		3: filepath.Join(data, "sites", "yixing", "site")} {
		if got := p.Site(id).Dir(); got != dir {
			t.Errorf("site %d lives in %s, want %s", id, got, dir)
		}
		if _, err := os.Stat(filepath.Join(dir, "current", "index.html")); err != nil {
			t.Errorf("site %d: %v", id, err)
		}
	}
	for _, key := range []string{"site/index.html", "private/site/live.json",
		"sites/jiangyin/site/index.html", "sites/jiangyin/private/site/live.json", "sites/yixing/site/index.html"} {
		if !bucket.has(key) {
			t.Errorf("bucket lacks %s", key)
		}
	}
	if bucket.has("sites/city/site/index.html") {
		t.Error("the default site was copied below sites/ in the bucket")
	}

	// Each host gets its own site; hosts no site names get the default.
	for host, name := range map[string]string{"city.example.cn": "市民政局", "jiangyin.example.cn": "江阴民政",
		"WWW.jiangyin.example.cn:8080": "江阴民政", "yixing.example.cn": "宜兴民政", "127.0.0.1:8080": "市民政局",
		"unknown.example.org": "市民政局"} {
		code, body := hostGet(t, p, host, "/")
		if code != http.StatusOK {
			t.Fatalf("%s: GET / = %d", host, code)
		}
		contains(t, host+" home", body, name+"的第一场集体颁证仪式")
		for _, other := range []string{"市民政局", "江阴民政", "宜兴民政"} {
			if other != name {
				lacks(t, host+" home", body, other+"的第一场集体颁证仪式")
			}
		}
	}

	// A publish on 江阴 rebuilds 江阴 only: the other sites' files and
	// build records stay as they were.
	treeA, treeC := readTree(t, p.Site(1).current().dir), readTree(t, p.Site(3).current().dir)
	buildsA, buildsC := len(m.by[1].builds), len(m.by[3].builds)
	fb.add(&cms.LiveStory{ID: 4, Slug: "jiangyin-news", Title: "江阴新设婚姻家庭辅导站", Body: "<p>辅导站开放。</p>",
		Project: ref(fb.projects[0]), PublishedAt: day0.Add(96 * time.Hour), UpdatedAt: day0.Add(96 * time.Hour)})
	b := buildOn(t, p, 2, cms.StoriesChanged("publish story:4", 4), false)
	if p.Site(2).last.full {
		t.Errorf("the publish on 江阴 (build %d) was a full build", b.ID)
	}
	code, body := hostGet(t, p, "jiangyin.example.cn", "/stories/jiangyin-news/")
	if code != http.StatusOK {
		t.Fatalf("江阴's new story: %d", code)
	}
	contains(t, "江阴's new story", body, "江阴新设婚姻家庭辅导站")
	for _, host := range []string{"city.example.cn", "yixing.example.cn"} {
		if code, _ := hostGet(t, p, host, "/stories/jiangyin-news/"); code != http.StatusNotFound {
			t.Errorf("%s serves 江阴's story: %d", host, code)
		}
	}
	if !bucket.has("sites/jiangyin/site/stories/jiangyin-news/index.html") || bucket.has("site/stories/jiangyin-news/index.html") {
		t.Error("江阴's story is not in 江阴's part of the bucket only")
	}
	if !maps.EqualFunc(treeA, readTree(t, p.Site(1).current().dir), bytes.Equal) ||
		!maps.EqualFunc(treeC, readTree(t, p.Site(3).current().dir), bytes.Equal) {
		t.Error("a publish on 江阴 changed another site's files")
	}
	if len(m.by[1].builds) != buildsA || len(m.by[3].builds) != buildsC {
		t.Error("a publish on 江阴 made a build record of another site")
	}

	// The tamper check of a site compares its own files and bucket prefix.
	for _, id := range []int64{1, 2} {
		rep, err := p.CheckTamper(inSite(id))
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Findings) != 0 || rep.Files == 0 {
			t.Errorf("site %d: tamper check of an untouched site: %d files, findings %+v", id, rep.Files, rep.Findings)
		}
	}
	bucket.Put(context.Background(), "sites/jiangyin/site/stories/jiangyin-news/index.html", strings.NewReader("改"), 3, objstore.PutOptions{})
	if rep, err := p.CheckTamper(inSite(2)); err != nil || len(rep.Findings) != 1 || rep.Findings[0].Where != "bucket" {
		t.Errorf("a changed object of 江阴's bucket prefix: %v %+v", err, rep)
	}
	if rep, err := p.CheckTamper(inSite(1)); err != nil || len(rep.Findings) != 0 {
		t.Errorf("江阴's changed object is a finding of the default site: %v %+v", err, rep)
	}

	// A site created since is picked up on refresh, and a call naming a
	// site not yet known refreshes at once.
	m.addSite(4, "xishan", "锡山民政", "xishan.example.cn")
	buildOn(t, p, 4, cms.Change{Reason: "new site"}, true)
	_, body = hostGet(t, p, "xishan.example.cn", "/")
	contains(t, "锡山 home", body, "锡山民政的第一场集体颁证仪式")
	if _, err := p.Enqueue(inSite(99), cms.Change{Reason: "nowhere"}); cms.ErrorCode(err) != cms.ENOTFOUND {
		t.Errorf("a build of a site that does not exist: %v, want ENOTFOUND", err)
	}
}

// TestPlatform_FairQueue: a long full build of one site does not hold up
// another site's publish, which takes the incremental slot meanwhile.
func TestPlatform_FairQueue(t *testing.T) {
	m := newPlatformStore(t)
	m.addSite(1, "big", "大站", "big.example.cn")
	fs := m.addSite(2, "small", "小站", "small.example.cn")
	p := newPlatform(t, m)
	runPlatform(t, p)
	buildOn(t, p, 1, cms.Change{Reason: "first"}, true)
	buildOn(t, p, 2, cms.Change{Reason: "first"}, true)

	// The big site's next full build stops before rendering until released.
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	big := p.Site(1)
	big.buildMu.Lock()
	big.beforeRender = func(full bool) {
		if full {
			once.Do(func() { close(entered) })
			<-release
		}
	}
	big.buildMu.Unlock()
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	rb, err := p.Rebuild(inSite(1), "templates changed")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(time.Minute):
		t.Fatal("the big site's full build never started")
	}

	fs.add(&cms.LiveStory{ID: 4, Slug: "small-news", Title: "小站新稿", Body: "<p>新稿。</p>",
		Project: ref(fs.projects[0]), PublishedAt: day0.Add(96 * time.Hour), UpdatedAt: day0.Add(96 * time.Hour)})
	buildOn(t, p, 2, cms.StoriesChanged("publish story:4", 4), false)
	if p.Site(2).last.full {
		t.Error("the small site's publish was a full build")
	}
	if code, _ := hostGet(t, p, "small.example.cn", "/stories/small-news/"); code != http.StatusOK {
		t.Errorf("the small site's story is not live while the big site builds: %d", code)
	}
	if b, _ := m.by[1].FindBuildByID(inSite(1), rb.ID); b.Done() {
		t.Fatal("the big site's full build finished before it was released")
	}

	close(release)
	ctx, cancel := context.WithTimeout(inSite(1), 2*time.Minute)
	defer cancel()
	if b, err := p.Wait(ctx, rb.ID); err != nil || b.Status != cms.BuildSucceeded {
		t.Fatalf("the big site's full build: %v %+v", err, b)
	}
}

// TestScheduler checks the slots without building: full builds take turns
// in the full slot, incremental ones pass them in their own, a build
// turning full waits for the full slot, and waiters are served in order.
func TestScheduler(t *testing.T) {
	ctx := context.Background()
	q := &scheduler{}
	a, err := q.acquire(ctx, true)
	if err != nil || a.kind != fullSlot {
		t.Fatalf("first full build: %v %+v", err, a)
	}
	if !q.building() {
		t.Fatal("a build holds the full slot, but the scheduler says none builds (Platform.Building)")
	}
	// A second full build waits; an incremental one does not.
	second := make(chan *slot, 1)
	go func() { s, _ := q.acquire(ctx, true); second <- s }()
	waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.waiters) == 1 })
	b, err := q.acquire(ctx, false)
	if err != nil || b.kind != incrSlot {
		t.Fatalf("incremental build during a full one: %v %+v", err, b)
	}
	// An incremental build that turns full waits behind the full builds.
	upgraded := make(chan error, 1)
	go func() { upgraded <- b.upgrade(ctx) }()
	waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.waiters) == 2 })
	// Meanwhile the incremental slot is free again for another site.
	c, err := q.acquire(ctx, false)
	if err != nil || c.kind != incrSlot {
		t.Fatalf("incremental build while another waits for the full slot: %v %+v", err, c)
	}
	c.release()
	c.release() // twice is harmless
	a.release()
	s2 := <-second // first come, first served
	select {
	case err := <-upgraded:
		t.Fatalf("the upgrade did not wait for the full build before it: %v", err)
	default:
	}
	s2.release()
	if err := <-upgraded; err != nil || b.kind != fullSlot {
		t.Fatalf("upgrade: %v %+v", err, b)
	}
	// An incremental build borrows the idle full slot only when no full
	// build waits for it.
	d, _ := q.acquire(ctx, false)
	if d.kind != incrSlot {
		t.Fatalf("got %v", d.kind)
	}
	b.release()
	e, _ := q.acquire(ctx, false)
	if e.kind != fullSlot {
		t.Fatalf("an incremental build did not borrow the idle full slot: %v", e.kind)
	}
	e.release()
	d.release()
	// A waiter that gives up leaves the queue.
	f, _ := q.acquire(ctx, true)
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := q.acquire(cctx, true); done <- err }()
	waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return len(q.waiters) == 1 })
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled wait got a slot")
	}
	f.release()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.busy != [2]bool{} || len(q.waiters) != 0 {
		t.Fatalf("slots left busy or waiting: %v %d", q.busy, len(q.waiters))
	}
}

// TestScheduler_FullYields checks that a full build pauses while an
// incremental build runs, until it ends, that its goroutines share one
// pause, and that its pauses stay within the budget.
func TestScheduler_FullYields(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	var clockMu sync.Mutex
	q := &scheduler{now: func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }}
	advance := func(d time.Duration) { clockMu.Lock(); now = now.Add(d); clockMu.Unlock() }

	full, _ := q.acquire(ctx, true)
	returned := make(chan struct{})
	go func() { full.yield(); close(returned) }()
	<-returned // nothing incremental runs: no pause

	incr, _ := q.acquire(ctx, false)
	yielded := make(chan struct{}, 3)
	for range 3 { // three render goroutines of the full build
		go func() { full.yield(); yielded <- struct{}{} }()
	}
	waitFor(t, func() bool { q.mu.Lock(); defer q.mu.Unlock(); return full.pausing != nil })
	time.Sleep(20 * time.Millisecond) // they must still be paused
	if len(yielded) != 0 {
		t.Fatal("the full build went on while an incremental build ran")
	}
	advance(time.Second)
	incr.release()
	for range 3 {
		<-yielded
	}
	q.mu.Lock()
	paused := full.paused
	q.mu.Unlock()
	if paused != time.Second {
		t.Fatalf("one shared pause of 1s was counted as %s", paused)
	}

	// The budget: yieldGrace plus the time run, so after pausing that
	// much the full build goes on even while incremental builds run.
	incr, _ = q.acquire(ctx, false)
	defer incr.release()
	q.mu.Lock()
	full.paused = yieldGrace + 5*time.Second // and it has run 1s
	q.mu.Unlock()
	returned = make(chan struct{})
	go func() { full.yield(); close(returned) }()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("a full build over its pause budget still paused")
	}
	// An incremental build does not yield, nor does a released slot.
	incr.yield()
	full.release()
	full.yield()
}

// waitFor waits up to ten seconds for cond, polling each millisecond.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	poll(t, 10*time.Second, time.Millisecond, cond)
}

// poll fails t unless cond holds within the time given, trying it every.
func poll(t testing.TB, within, every time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition never met")
		}
		time.Sleep(every)
	}
}

// TestPlatform_IdleRelease: an idle site's build state is released, and
// its next build is a full one with the right content.
func TestPlatform_IdleRelease(t *testing.T) {
	m := newPlatformStore(t)
	m.addSite(1, "city", "市民政局")
	fb := m.addSite(2, "binhu", "滨湖民政", "binhu.example.cn")
	p := newPlatform(t, m, func(c *PlatformConfig) { c.IdleAfter = time.Minute })
	runPlatform(t, p)
	buildOn(t, p, 1, cms.Change{Reason: "first"}, true)
	buildOn(t, p, 2, cms.Change{Reason: "first"}, true)
	for _, s := range p.Sites() {
		if !s.warm.Load() {
			t.Fatalf("site %d holds no build state after a build", s.ID())
		}
	}
	if n := p.releaseIdle(time.Now(), time.Minute); n != 0 {
		t.Fatalf("released %d sites that just built", n)
	}
	if n := p.releaseIdle(time.Now().Add(2*time.Minute), time.Minute); n != 2 {
		t.Fatalf("released %d idle sites, want 2", n)
	}
	for _, s := range p.Sites() {
		s.buildMu.Lock()
		if s.exp != nil || s.base != nil || s.warm.Load() {
			t.Errorf("site %d kept its build state", s.ID())
		}
		s.buildMu.Unlock()
	}
	fb.add(&cms.LiveStory{ID: 4, Slug: "binhu-news", Title: "滨湖新稿", Body: "<p>新稿。</p>",
		Project: ref(fb.projects[0]), PublishedAt: day0.Add(96 * time.Hour), UpdatedAt: day0.Add(96 * time.Hour)})
	buildOn(t, p, 2, cms.StoriesChanged("publish story:4", 4), false)
	if !p.Site(2).last.full {
		t.Error("the first build after a release was not a full one")
	}
	_, body := hostGet(t, p, "binhu.example.cn", "/stories/binhu-news/")
	contains(t, "滨湖's new story", body, "滨湖新稿")
	_, body = hostGet(t, p, "binhu.example.cn", "/")
	contains(t, "滨湖 home", body, "滨湖新稿", "滨湖民政的第一场集体颁证仪式")

	// A platform of one site keeps it, as a single-site installation did.
	m2 := newPlatformStore(t)
	m2.addSite(1, "only", "唯一站点")
	one := newPlatform(t, m2)
	if _, err := one.BuildNow(inSite(1), "first"); err != nil {
		t.Fatal(err)
	}
	if n := one.releaseIdle(time.Now().Add(time.Hour), time.Nanosecond); n != 0 {
		t.Errorf("a single site was released")
	}
}

// TestPlatform_RunReleasesIdle: Run releases idle sites on its own, every
// Poll, after IdleAfter.
func TestPlatform_RunReleasesIdle(t *testing.T) {
	m := newPlatformStore(t)
	m.addSite(1, "city", "市民政局")
	m.addSite(2, "huishan", "惠山民政")
	p := newPlatform(t, m, func(c *PlatformConfig) { c.Poll, c.IdleAfter = 10*time.Millisecond, 50*time.Millisecond })
	runPlatform(t, p)
	for _, id := range []int64{1, 2} {
		if _, err := p.BuildNow(inSite(id), "first"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool { return !p.Site(1).warm.Load() && !p.Site(2).warm.Load() })
	_, body := hostGet(t, p, "127.0.0.1", "/")
	contains(t, "home after release", body, "市民政局的第一场集体颁证仪式")
}

// TestPlatform_OnEachSite: the per-site work runs for every site, those
// created later too, in that site's context, and stops with Run.
func TestPlatform_OnEachSite(t *testing.T) {
	m := newPlatformStore(t)
	m.addSite(1, "city", "市民政局")
	m.addSite(2, "jiangyin", "江阴民政")
	p := newPlatform(t, m)
	var mu sync.Mutex
	running := map[int64]int{}
	p.OnEachSite(func(ctx context.Context) {
		id := cms.SiteIDFromContext(ctx)
		mu.Lock()
		running[id]++
		mu.Unlock()
		<-ctx.Done()
		mu.Lock()
		running[id]--
		mu.Unlock()
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	count := func(id int64) int { mu.Lock(); defer mu.Unlock(); return running[id] }
	waitFor(t, func() bool { return count(1) == 1 && count(2) == 1 })
	m.addSite(3, "yixing", "宜兴民政")
	if err := p.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return count(3) == 1 })
	cancel()
	<-done // Run waits for the per-site work
	if count(1)+count(2)+count(3) != 0 {
		t.Errorf("per-site work still running after Run returned: %v", running)
	}
}
