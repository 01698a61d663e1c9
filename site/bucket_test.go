package site

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/objstore"
	"github.com/huimin/huimin/cms/objstore/objstoretest"
)

// bucketTree reads every object below site/ of st.
func bucketTree(t testing.TB, st *objstore.Store) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, k := range objstoretest.Keys(t, st, bucketSite) {
		b, err := st.ReadAll(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimPrefix(k, bucketSite)] = b
	}
	return files
}

// sameAsBucket fails unless the bucket's site/ holds exactly the files of
// s's live build.
func sameAsBucket(t testing.TB, step string, s *Site, st *objstore.Store) map[string][]byte {
	t.Helper()
	local, remote := readTree(t, s.current().dir), bucketTree(t, st)
	if diffs, head := treeDiffs(local, remote, "missing in bucket: ", "only in bucket: "); len(diffs) > 0 {
		t.Fatalf("%s: bucket and live build differ in %d files:\n%s", step, len(diffs), head)
	}
	return local
}

// changedFiles names the files that differ between two trees, both ways.
func changedFiles(a, b map[string][]byte) (changed, gone []string) {
	for name, x := range b {
		if y, ok := a[name]; !ok || !bytes.Equal(x, y) {
			changed = append(changed, name)
		}
	}
	for name := range a {
		if _, ok := b[name]; !ok {
			gone = append(gone, name)
		}
	}
	slices.Sort(changed)
	slices.Sort(gone)
	return changed, gone
}

func liveBuildOf(t testing.TB, st *objstore.Store) int64 {
	t.Helper()
	id, _, err := LiveBuild(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func liveMarkerOf(t testing.TB, st *objstore.Store) liveMarker {
	t.Helper()
	b, err := st.ReadAll(context.Background(), bucketLive)
	if err != nil {
		t.Fatal(err)
	}
	var m liveMarker
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSite_Bucket: every build that goes live is copied to the bucket;
// a publish sends only the files that changed, an unpublished story's page
// disappears, and objects carry the headers a CDN needs.
func TestSite_Bucket(t *testing.T) {
	t.Parallel()
	st := objstoretest.MustOpen(t)
	f := newFixture()
	s := newSite(t, f, func(c *Config) { c.Bucket = st })
	b := buildNow(t, s)
	before := sameAsBucket(t, "full build", s, st)
	if got := liveBuildOf(t, st); got != b.ID {
		t.Errorf("live.json names build %d, want %d", got, b.ID)
	}
	if n := len(s.mirror.last.put); n != len(before) {
		t.Errorf("first copy sent %d files, want all %d", n, len(before))
	}

	// Headers, as a CDN or nginx fetching from the bucket gets them.
	var css string
	for name := range before {
		if fingerprinted.MatchString(name) && strings.HasSuffix(name, ".css") {
			css = name
		}
	}
	if css == "" {
		t.Fatal("no fingerprinted stylesheet in the build")
	}
	for _, c := range []struct{ key, ctype, cache string }{
		{"index.html", "text/html; charset=utf-8", "no-cache"},
		{"stories/first-wedding/index.html", "text/html; charset=utf-8", "no-cache"},
		{"index.xml", "application/xml; charset=utf-8", "no-cache"},
		{css, "text/css; charset=utf-8", "public, max-age=31536000, immutable"},
		{"tags/婚姻登记/index.html", "text/html; charset=utf-8", "no-cache"},
	} {
		resp, err := http.Get(bucketURL(st, bucketSite+c.key))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(body, before[c.key]) {
			t.Errorf("GET %s from the bucket: %d, %d bytes (want %d)", c.key, resp.StatusCode, len(body), len(before[c.key]))
		}
		if got := resp.Header.Get("Content-Type"); got != c.ctype {
			t.Errorf("%s: Content-Type %q, want %q", c.key, got, c.ctype)
		}
		if got := resp.Header.Get("Cache-Control"); got != c.cache {
			t.Errorf("%s: Cache-Control %q, want %q", c.key, got, c.cache)
		}
	}

	// A one-story edit, built incrementally, sends exactly the files that changed.
	first := liveMarkerOf(t, st)
	ctx := runner(t, s)
	f.edit(2, func(s *cms.LiveStory) { s.Title = "银龄志愿者上门理发（更新）" })
	b = enqueue(t, ctx, s, "publish story:2")
	after := sameAsBucket(t, "one story changed", s, st)
	changed, gone := changedFiles(before, after)
	put := slices.Sorted(slices.Values(s.mirror.last.put))
	if !slices.Equal(put, changed) || len(s.mirror.last.deleted) != len(gone) {
		t.Errorf("copy sent %q and deleted %q; the build changed %q and removed %q", put, s.mirror.last.deleted, changed, gone)
	}
	if len(put) == 0 || len(put) > 40 {
		t.Errorf("a one-story publish sent %d of %d files", len(put), len(after))
	}
	t.Logf("one-story publish: %d of %d files sent", len(put), len(after))
	if got := liveBuildOf(t, st); got != b.ID {
		t.Errorf("live.json names build %d, want %d", got, b.ID)
	}
	// live.json lists the change against the manifest before it, and a
	// replica following that one makes the new manifest from it alone.
	marker := liveMarkerOf(t, st)
	if marker.Base != first.Manifest || len(marker.Changed) != len(changed) || len(marker.Gone) != len(gone) {
		t.Errorf("live.json: base %q, %d changed, %d gone; want base %q, %d changed, %d gone",
			marker.Base, len(marker.Changed), len(marker.Gone), first.Manifest, len(changed), len(gone))
	}
	prevMf, err := s.mirror.readManifest(context.Background(), first.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	nextMf, err := s.mirror.readManifest(context.Background(), marker.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	if mf := followDelta(marker, first.Manifest, prevMf.Files); mf == nil || !maps.Equal(mf.Files, nextMf.Files) {
		t.Errorf("the manifest made from live.json's changes is not the manifest it names")
	}
	if followDelta(marker, "other", prevMf.Files) != nil {
		t.Errorf("changes against another manifest were applied")
	}

	// Unpublishing removes the story's page from the bucket.
	f.remove(3)
	enqueue(t, ctx, s, "unpublish story:3")
	final := sameAsBucket(t, "story unpublished", s, st)
	_, gone = changedFiles(after, final)
	if !slices.Contains(gone, "stories/wedding-counselling/index.html") {
		t.Errorf("the unpublished story's page is not among the removed files %q", gone)
	}
	resp, err := http.Get(bucketURL(st, bucketSite+"stories/wedding-counselling/index.html"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the unpublished story's page answers %d from the bucket", resp.StatusCode)
	}
	// Only the live manifest and the one before it are kept.
	if n := len(objstoretest.Keys(t, st, bucketManifests)); n != 2 {
		t.Errorf("%d manifests in the bucket, want 2", n)
	}
	if _, err := st.Stat(context.Background(), bucketPending); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("pending.json left after a finished copy: %v", err)
	}

	// Another server on the same bucket with its own data directory (a
	// replica, or this one restarted) sends only what differs from the bucket.
	s2 := newSite(t, f, func(c *Config) { c.Bucket = st })
	buildNow(t, s2)
	sameAsBucket(t, "second server", s2, st)
	t.Logf("a full build on a second server sent %d of %d files", len(s2.mirror.last.put), len(final))
	if len(s2.mirror.last.put) > len(final)/2 {
		t.Errorf("a full build of unchanged content sent %d of %d files", len(s2.mirror.last.put), len(final))
	}
	if len(s2.mirror.last.put) == 0 {
		// Nothing changed: live.json names the new build and the same manifest.
		if n := len(objstoretest.Keys(t, st, bucketManifests)); n != 2 {
			t.Errorf("%d manifests in the bucket after an unchanged copy, want 2", n)
		}
	}
}

// faultyBucket fails the Put of one key a number of times: a bucket that
// goes away in the middle of a copy, at a known point.
type faultyBucket struct {
	Bucket
	mu    sync.Mutex
	key   string
	times int // -1: always
}

var errInjected = errors.New("injected: connection reset by peer")

func (b *faultyBucket) failOn(key string, times int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.key, b.times = key, times
}

func (b *faultyBucket) Put(ctx context.Context, key string, r io.Reader, size int64, o objstore.PutOptions) error {
	b.mu.Lock()
	fail := key == b.key && b.times != 0
	if fail && b.times > 0 {
		b.times--
	}
	b.mu.Unlock()
	if fail {
		return errInjected
	}
	return b.Bucket.Put(ctx, key, r, size, o)
}

// TestSite_BucketFailure: a copy that fails half-way leaves the bucket's
// last good site and live.json as they were, fails the build with a clear
// error, and the next build repairs everything, including a page the
// failed copy added whose story was unpublished since.
func TestSite_BucketFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := objstoretest.MustOpen(t)
	fb := &faultyBucket{Bucket: st}
	f := newFixture()
	s := newSite(t, f, func(c *Config) { c.Bucket = fb })
	s.backoff = nil // fail at once
	good := buildNow(t, s)
	sameAsBucket(t, "first build", s, st)
	run := runner(t, s)

	// A new story; the copy fails at the home page, after the story's own
	// page (new pages go before changed ones).
	f.add(&cms.LiveStory{ID: 4, Slug: "new-volunteers", Title: "新志愿者报到", Body: "<p>十位新志愿者。</p>",
		Project: ref(f.projects[1]), PublishedAt: day0.Add(96 * time.Hour), UpdatedAt: day0.Add(96 * time.Hour)})
	fb.failOn(bucketSite+"index.html", -1)
	b := finish(t, run, s, changeOf("publish story:4"))
	if b.Status != cms.BuildFailed || !strings.Contains(b.Error, "对象存储") || !strings.Contains(b.Error, errInjected.Error()) {
		t.Errorf("build with a failing bucket: %s, %q", b.Status, b.Error)
	}
	if got := liveBuildOf(t, st); got != good.ID {
		t.Errorf("live.json names build %d after a failed copy, want the last good %d", got, good.ID)
	}
	home, err := st.ReadAll(ctx, bucketSite+"index.html")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(home, []byte("新志愿者报到")) {
		t.Error("the bucket's home page lists the story whose copy failed")
	}
	if _, err := st.Stat(ctx, bucketSite+"stories/new-volunteers/index.html"); err != nil {
		t.Fatalf("the failed copy did not send the new story's page before failing: %v", err)
	}
	if _, err := st.Stat(ctx, bucketPending); err != nil {
		t.Errorf("no pending.json after a failed copy: %v", err)
	}

	// The story is unpublished again before the bucket is back: the page
	// the failed copy sent must go.
	f.remove(4)
	fb.failOn("", 0)
	enqueue(t, run, s, "unpublish story:4")
	sameAsBucket(t, "after recovery", s, st)
	if _, err := st.Stat(ctx, bucketPending); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("pending.json left after recovery: %v", err)
	}

	// A copy that fails once is tried again by itself.
	s.backoff = []time.Duration{time.Millisecond}
	f.edit(1, func(s *cms.LiveStory) { s.Title = "第一场集体颁证仪式（重试）" })
	fb.failOn(bucketSite+"index.html", 1)
	b = enqueue(t, run, s, "publish story:1")
	sameAsBucket(t, "after a retried copy", s, st)
	if got := liveBuildOf(t, st); got != b.ID {
		t.Errorf("live.json names build %d, want %d", got, b.ID)
	}
}

// TestSite_BucketUnreachable: a bucket that stops answering (here: the
// connection to SeaweedFS is cut) fails the build with an error naming the
// endpoint; the bucket keeps the last good site; once it is back the next
// build catches up.
func TestSite_BucketUnreachable(t *testing.T) {
	t.Parallel()
	direct := objstoretest.MustOpen(t)
	target := direct.Location().Endpoint
	p := startProxy(t, target)
	loc := direct.Location()
	loc.Endpoint = p.addr
	viaProxy, err := objstore.OpenLocation(context.Background(), loc, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture()
	s := newSite(t, f, func(c *Config) { c.Bucket = viaProxy })
	s.backoff = nil
	good := buildNow(t, s)
	before := sameAsBucket(t, "first build", s, direct)

	p.stop()
	f.edit(2, func(s *cms.LiveStory) { s.Title = "银龄志愿者上门理发（断网时）" })
	b, err := s.BuildNow(context.Background(), "test")
	if err == nil {
		t.Fatal("build succeeded with the bucket unreachable")
	}
	for _, want := range []string{"对象存储", p.addr, "unreachable"} {
		if !strings.Contains(b.Error, want) {
			t.Errorf("build error does not say %q: %s", want, b.Error)
		}
	}
	// Locally the new build is live; the bucket still has the last good one.
	contains(t, "local story page", page(t, s, "/stories/silver-helpers/"), "断网时")
	if got := liveBuildOf(t, direct); got != good.ID {
		t.Errorf("live.json names build %d, want the last good %d", got, good.ID)
	}
	if !maps.EqualFunc(before, bucketTree(t, direct), bytes.Equal) {
		t.Error("the bucket's site changed although the copy could not reach it")
	}

	p.start(t)
	buildNow(t, s)
	sameAsBucket(t, "bucket back", s, direct)
}

func bucketURL(st *objstore.Store, key string) string {
	l := st.Location()
	scheme := "http"
	if l.Secure {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: l.Endpoint, Path: "/" + l.Bucket + "/" + l.Prefix + key}
	return u.String()
}

// proxy forwards TCP connections to the S3 server, and can be cut: a
// bucket that goes away and comes back, with the real server behind it.
type proxy struct {
	addr, target string
	mu           sync.Mutex
	ln           net.Listener
	conns        map[net.Conn]bool
}

func startProxy(t *testing.T, target string) *proxy {
	p := &proxy{target: target, conns: map[net.Conn]bool{}}
	p.start(t)
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start(t *testing.T) {
	addr := p.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *proxy) forward(c net.Conn) {
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[u] = true, true
	p.mu.Unlock()
	go func() { io.Copy(u, c); u.Close() }()
	io.Copy(c, u)
	c.Close()
}

func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// TestSite_BucketAtomicPublish: while builds are copied to the bucket one
// after another (a story edited each time, a new one every tenth, a full
// build among them), readers fetching pages straight from the bucket never
// get a missing or partial page that exists before and after, and every
// story the home page links to is there.
func TestSite_BucketAtomicPublish(t *testing.T) {
	st := objstoretest.MustOpen(t)
	f := bigFixture(30)
	s := newSite(t, f, func(c *Config) { c.Bucket = st })
	buildNow(t, s)
	ctx := runner(t, s)
	fetch := func(p string) (int, string) {
		if strings.HasSuffix(p, "/") {
			p += "index.html"
		}
		resp, err := http.Get(bucketURL(st, bucketSite+strings.TrimPrefix(p, "/")))
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	storyLink := regexp.MustCompile(`href="(/stories/[a-z0-9-]+/)"`)
	const builds = 40
	_, fetched, bad := publishWhileReading(t, ctx, s, f, builds, 2, func(p string) string {
		code, body := fetch(p)
		if msg := pageProblem(p, code, body); msg != "" || p != "/" {
			return msg
		}
		var broken []string
		for _, m := range storyLink.FindAllStringSubmatch(body, -1) {
			if code, _ := fetch(m[1]); code != http.StatusOK {
				broken = append(broken, fmt.Sprintf("home links to %s, which answers %d", m[1], code))
			}
		}
		return strings.Join(broken, "\n")
	})
	t.Logf("%d fetches from the bucket during %d builds, %d bad", fetched, builds, bad)
	sameAsBucket(t, "after the builds", s, st)
	if _, body := fetch("/stories/story-110/"); !strings.Contains(body, fmt.Sprintf("第%d次修改", builds-1)) {
		t.Error("the bucket does not have the last edit")
	}
}
