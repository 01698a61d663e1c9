package site

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
)

// fakeLeases grants one lease as the store does (cms/store/lease.go): the
// holder renews while it lasts; a lapsed lease goes to whoever asks, with a
// new token.
type fakeLeases struct {
	t       testing.TB
	mu      sync.Mutex
	holder  string
	token   int64
	expires time.Time
}

func (l *fakeLeases) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (cms.Lease, error) {
	if !cms.AllSitesFromContext(ctx) {
		l.t.Errorf("the builder lease asked for in one site's context, not the platform's")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	switch {
	case l.holder == holder && l.expires.After(now):
		l.expires = now.Add(ttl)
	case !l.expires.After(now):
		l.holder, l.token, l.expires = holder, l.token+1, now.Add(ttl)
	}
	out := cms.Lease{Name: name, Holder: l.holder, Expires: l.expires}
	if l.holder == holder {
		out.Token = l.token
	}
	return out, nil
}

func (l *fakeLeases) ReleaseLease(ctx context.Context, le cms.Lease) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if le.Holder == l.holder && le.Token == l.token {
		l.expires = time.Time{}
	}
	return nil
}

func (l *fakeLeases) current(le cms.Lease) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return le.Holder == l.holder && le.Token == l.token && l.expires.After(time.Now())
}

// replicaStore adds the durable build queue to platformStore: claims go to
// the fixture of the context's site, for the lease's current holder only.
type replicaStore struct {
	*platformStore
	leases *fakeLeases
}

func (m *replicaStore) ClaimBuilds(ctx context.Context, l cms.Lease) ([]*cms.Build, error) {
	if !m.leases.current(l) {
		return nil, cms.Errorf(cms.ECONFLICT, "lease lost")
	}
	f := m.f(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*cms.Build
	now := time.Now().UTC()
	for _, b := range f.builds {
		if b.Status == cms.BuildQueued {
			b.Status, b.StartedAt, b.Builder = cms.BuildRunning, &now, l.Holder
			c := *b
			out = append(out, &c)
		}
	}
	return out, nil
}

func (m *replicaStore) QueueDepth(ctx context.Context) (int, error) {
	f := m.f(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, b := range f.builds {
		if b.Status == cms.BuildQueued {
			n++
		}
	}
	return n, nil
}

// TestPlatform_Replicas: two replicas of a platform of two sites on one
// store and one bucket. One replica holds the builder lease and builds
// both sites; the other serves each site from the site's bucket prefix,
// and a publish queued on it goes live on both.
func TestPlatform_Replicas(t *testing.T) {
	m := newPlatformStore(t)
	m.addSite(1, "city", "市民政局", "city.example.cn")
	fb := m.addSite(2, "jiangyin", "江阴民政", "jiangyin.example.cn")
	leases := &fakeLeases{t: t}
	rs := &replicaStore{platformStore: m, leases: leases}
	bucket := &memBucket{}
	replica := func(name string) *Platform {
		p := newPlatform(t, m, func(c *PlatformConfig) {
			c.Bucket = bucket
			c.Replica = &Replica{Name: name, Leases: leases, Queue: rs, TTL: 900 * time.Millisecond, Poll: 20 * time.Millisecond}
		})
		runPlatform(t, p)
		return p
	}
	a := replica("a")
	waitFor(t, func() bool { st, _ := a.Status(inSite(1)); return st.Builder })
	b := replica("b")

	// The builder's term starts with a full build of every site; the
	// other replica then serves them from the bucket.
	servesOn := func(p *Platform, host, path, want string) func() bool {
		return func() bool {
			code, body := hostGet(t, p, host, path)
			return code == http.StatusOK && strings.Contains(body, want)
		}
	}
	waitLong(t, servesOn(b, "city.example.cn", "/", "市民政局的第一场集体颁证仪式"))
	waitLong(t, servesOn(b, "jiangyin.example.cn", "/", "江阴民政的第一场集体颁证仪式"))
	for _, id := range []int64{1, 2} {
		for _, bd := range m.by[id].builds {
			if bd.Status == cms.BuildSucceeded && bd.Builder != "a" {
				t.Errorf("site %d: build %d by %q, want the lease holder a", id, bd.ID, bd.Builder)
			}
		}
		if st, _ := b.Status(inSite(id)); st.Builder || st.BuilderIs != "a" {
			t.Errorf("site %d: replica b reports %+v", id, st)
		}
	}

	// A publish queued on the follower is built by the builder and
	// followed from 江阴's prefix only.
	fb.add(&cms.LiveStory{ID: 4, Slug: "jiangyin-news", Title: "江阴新设婚姻家庭辅导站", Body: "<p>辅导站开放。</p>",
		Project: ref(fb.projects[0]), PublishedAt: day0.Add(96 * time.Hour), UpdatedAt: day0.Add(96 * time.Hour)})
	ctx, cancel := context.WithTimeout(inSite(2), 2*time.Minute)
	defer cancel()
	bd, err := b.Enqueue(ctx, cms.StoriesChanged("publish story:4", 4))
	if err != nil {
		t.Fatal(err)
	}
	if bd, err = b.Wait(ctx, bd.ID); err != nil || bd.Status != cms.BuildSucceeded || bd.Builder != "a" {
		t.Fatalf("the publish on 江阴: %v %+v", err, bd)
	}
	waitLong(t, servesOn(b, "jiangyin.example.cn", "/stories/jiangyin-news/", "江阴新设婚姻家庭辅导站"))
	if code, _ := hostGet(t, b, "city.example.cn", "/stories/jiangyin-news/"); code != http.StatusNotFound {
		t.Errorf("replica b serves 江阴's story on the city site: %d", code)
	}
}

// waitLong waits up to two minutes (builds run meanwhile), polling.
func waitLong(t testing.TB, cond func() bool) {
	t.Helper()
	poll(t, 2*time.Minute, 20*time.Millisecond, cond)
}
