package cli_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/objstore"
	"github.com/huimin/huimin/cms/objstore/objstoretest"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestReplicas runs three `huimin serve` processes on one MariaDB database
// and one SeaweedFS bucket (issue 14): a story published through one is
// served by the others and from the bucket; a picture uploaded on one and
// re-cropped on another is served re-cropped by the third; and when the
// builder is killed (SIGKILL) in the middle of a burst of publishes,
// another replica takes over within 10 seconds and every story the API
// reported published ends up live on every replica and in the bucket.
func TestReplicas(t *testing.T) {
	t.Parallel() // three processes of its own, mostly waiting: overlaps the other end-to-end tests
	dsn := mysqlOnly(t)
	u := objstoretest.URL(t)
	ctx := context.Background()
	bucket, err := objstore.Open(ctx, u, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	bin := clitest.BuildBinary(t, t.TempDir())
	// Replicas share the key that seals the database's secrets.
	key := make([]byte, 32)
	rand.Read(key)
	env := []string{"HUIMIN_SECRET_KEY=" + base64.StdEncoding.EncodeToString(key)}
	start := func(name string) *clitest.Server {
		s := clitest.RunBinaryEnv(t, bin, nil, env, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(),
			"--db", dsn, "--storage", u, "--replica", name, "--demo=false")
		if err := clitest.WaitHealthy(s.URL, 3*time.Minute); err != nil {
			t.Fatalf("replica %s: %v\n%s", name, err, s.Stderr())
		}
		return s
	}
	replicas := map[string]*clitest.Server{"a": start("a")}
	a := replicas["a"]
	token := a.Login(t, "admin", a.Password)
	replicas["b"], replicas["c"] = start("b"), start("c")
	b, c := replicas["b"], replicas["c"]

	p := a.Must(t, http.StatusCreated, "POST", "/api/v1/projects", token, map[string]any{
		"name": "银龄互助", "slug": "yinling", "kind": "volunteer", "area": "elderly", "summary": "低龄老人帮高龄老人",
	})

	// 1. Published through a, served by b and c and from the bucket.
	publish := func(s *clitest.Server, title string) (url string, ok bool) {
		code, st := s.Call(t, "POST", "/api/v1/stories", token, map[string]any{
			"title": title, "summary": "三个副本", "body": "<p>" + title + "。</p>", "project_id": p["id"],
		})
		if code != http.StatusCreated {
			t.Errorf("create story %q on %s: %d %v", title, s.URL, code, st)
			return "", false
		}
		code, out := s.Call(t, "POST", fmt.Sprintf("/api/v1/stories/%d/actions/publish", clitest.Num(st["id"])), token, nil)
		if code != http.StatusOK {
			return "", false
		}
		return out["url"].(string), true
	}
	t0 := time.Now()
	url, ok := publish(a, "副本甲发布的重阳故事")
	if !ok {
		t.Fatal("publish on a failed")
	}
	b.WaitPage(t, url, "副本甲发布的重阳故事", 2*time.Minute)
	t.Logf("publish on replica a → served by replica b after %v", time.Since(t0).Round(time.Millisecond))
	c.WaitPage(t, url, "副本甲发布的重阳故事", time.Minute)
	if page, err := bucket.ReadAll(ctx, "site"+url+"index.html"); err != nil || !strings.Contains(string(page), "副本甲发布的重阳故事") {
		t.Errorf("the story is not in the bucket: %v", err)
	}
	// Each replica's /readyz names the build it serves by the build's id,
	// the same whether it built it or followed it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		la, lb, lc := readyz(t, a).LiveBuild, readyz(t, b).LiveBuild, readyz(t, c).LiveBuild
		if _, err := strconv.Atoi(la); err == nil && la == lb && lb == lc {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("readyz live_build: a %q, b %q, c %q; want one build id", la, lb, lc)
			break
		}
	}

	// 4. Upload on a, focal point on b, crop read on c.
	code, m, _ := a.Upload(t, token, "photo.jpg", clitest.TestPhoto(t, 60))
	if code != http.StatusCreated {
		t.Fatalf("upload on a: %d %v", code, m)
	}
	hash := m["hash"].(string)
	before := getBytes(t, c, "/media/"+hash+"/cover11.jpg")
	b.Must(t, http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/media/%v", m["id"]), token,
		map[string]any{"version": m["version"], "focus_x": 0.9, "focus_y": 0.1})
	rendered, err := bucket.ReadAll(ctx, "media/"+hash+"/cover11.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(rendered, before) {
		t.Error("the crop did not change with the focal point")
	}
	if got := getBytes(t, c, "/media/"+hash+"/cover11.jpg"); !bytes.Equal(got, rendered) {
		t.Error("replica c serves another crop than b rendered")
	}

	// 3. During 100 rebuilds, readers of every replica and of the bucket
	// never get a missing or partial page that exists before and after.
	pages := []string{"/", url, "/projects/yinling/"}
	code, home := a.Get(t, "/")
	if code != http.StatusOK {
		t.Fatalf("home: %d", code)
	}
	if m := cssLink.FindStringSubmatch(home); m != nil {
		pages = append(pages, m[1])
	} else {
		t.Fatal("no stylesheet link on the home page")
	}
	bucketURL := bucketHTTP(t, u)
	var readers sync.WaitGroup
	stopReading := make(chan struct{})
	var reads, bad int64
	var badMu sync.Mutex
	var badSeen []string
	for _, origin := range []string{a.URL, b.URL, c.URL, bucketURL} {
		for _, pg := range pages {
			readers.Add(1)
			go func() {
				defer readers.Done()
				for {
					select {
					case <-stopReading:
						return
					default:
					}
					target := origin + pg
					if origin == bucketURL && strings.HasSuffix(pg, "/") {
						target += "index.html"
					}
					code, body := fetch(target)
					badMu.Lock()
					reads++
					if code != http.StatusOK || (strings.HasSuffix(target, "html") || strings.HasSuffix(target, "/")) && !strings.Contains(body, "</html>") {
						bad++
						if len(badSeen) < 5 {
							badSeen = append(badSeen, fmt.Sprintf("%s: %d %d bytes", target, code, len(body)))
						}
					}
					badMu.Unlock()
					time.Sleep(2 * time.Millisecond) // readers, not a load test: leave the builder some CPU
				}
			}()
		}
	}
	rebuilds := 100
	if testing.Short() {
		rebuilds = 20
	}
	for i := range rebuilds {
		s := []*clitest.Server{a, b, c}[i%3]
		st := s.Must(t, http.StatusCreated, "POST", "/api/v1/stories", token, map[string]any{
			"title": fmt.Sprintf("第%d次重建的故事", i+1), "summary": "读者不受影响", "body": "<p>重建。</p>", "project_id": p["id"],
		})
		pub := s.Act(t, token, clitest.Num(st["id"]), "publish", nil, http.StatusOK)
		s.WaitBuilt(t, token, pub["build_id"])
	}
	close(stopReading)
	readers.Wait()
	t.Logf("%d rebuilds: %d reads of %d pages on 3 replicas and the bucket, %d missing or partial", rebuilds, reads, len(pages), bad)
	if bad > 0 {
		t.Errorf("readers got %d missing or partial pages during rebuilds, e.g. %v", bad, badSeen)
	}

	// The scheduler publishes exactly once although every replica runs one.
	at := time.Now().Add(3 * time.Second)
	sch := b.Must(t, http.StatusCreated, "POST", "/api/v1/stories", token, map[string]any{
		"title": "三个副本定时发布的故事", "body": "<p>定时。</p>", "project_id": p["id"], "publish_at": at.Format(time.RFC3339Nano)})
	schID := clitest.Num(sch["id"])
	if out := b.Act(t, token, schID, "publish", nil, http.StatusOK); out["status"] != "scheduled" {
		t.Fatalf("publish with publish_at ahead: %v", out)
	}
	schURL := sch["url"].(string)
	c.WaitPage(t, schURL, "三个副本定时发布的故事", time.Minute)
	time.Sleep(3 * time.Second) // give every replica's scheduler a few more turns
	events := audit(t, a, token, fmt.Sprintf("object=story:%d&per_page=100", schID))
	publishes := 0
	for _, e := range events.Items {
		if e.Action == "story.publish" {
			publishes++
		}
	}
	if publishes != 2 { // the admin's, which schedules, and the scheduler's
		t.Errorf("audit of the scheduled story has %d story.publish events, want 2 (one scheduling, one going live): %+v", publishes, events.Items)
	}

	live0 := clitest.GetList[map[string]any](t, a, "/api/v1/content/stories?per_page=1", "").Total

	// 2. Kill the builder in the middle of 50 publishes made through the others.
	builder := ""
	for name, s := range replicas {
		if readyz(t, s).Builder {
			if builder != "" {
				t.Fatalf("two builders: %s and %s", builder, name)
			}
			builder = name
		}
	}
	if builder == "" {
		t.Fatal("no replica says it is the builder")
	}
	var others []*clitest.Server
	for name, s := range replicas {
		if name != builder {
			others = append(others, s)
		}
	}
	var (
		mu        sync.Mutex
		published []string
		killedAt  time.Time
	)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 50; i += 2 {
				if i == 20 {
					mu.Lock()
					killedAt = time.Now()
					mu.Unlock()
					replicas[builder].Kill(t)
				}
				title := fmt.Sprintf("接力发布的第%d篇故事", i+1)
				if url, ok := publish(others[w], title); ok {
					mu.Lock()
					published = append(published, url+"\x00"+title)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if killedAt.IsZero() {
		t.Fatal("the builder was never killed")
	}
	next := ""
	for next == "" {
		for i, s := range others {
			if readyz(t, s).Builder {
				next = fmt.Sprint(i)
			}
		}
		if next == "" {
			if time.Since(killedAt) > 15*time.Second {
				t.Fatalf("no replica became builder within 15s of killing %s", builder)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	took := time.Since(killedAt)
	t.Logf("builder %s killed; another replica became builder after %v", builder, took.Round(time.Millisecond))
	if took > 10*time.Second {
		t.Errorf("takeover took %v, want at most 10s", took)
	}
	if len(published) < 45 {
		t.Errorf("only %d of 50 publishes were accepted while the builder died", len(published))
	}
	for _, pt := range published {
		url, title, _ := strings.Cut(pt, "\x00")
		for _, s := range others {
			s.WaitPage(t, url, title, 3*time.Minute)
		}
		if page, err := bucket.ReadAll(ctx, "site"+url+"index.html"); err != nil || !strings.Contains(string(page), title) {
			t.Errorf("%s not in the bucket: %v", url, err)
		}
	}
	if total := clitest.GetList[map[string]any](t, others[0], "/api/v1/content/stories?per_page=1", "").Total; total != live0+len(published) {
		t.Errorf("content API total %d, want %d", total, live0+len(published))
	}
}

var cssLink = regexp.MustCompile(`<link[^>]+href="(/css/[^"]+\.css)"`)

// bucketHTTP is the plain-HTTP address of the bucket's site/ for a storage
// URL s3://BUCKET/PREFIX?endpoint=E: what a CDN in front of it would read.
func bucketHTTP(t *testing.T, storage string) string {
	t.Helper()
	pu, err := neturl.Parse(storage)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(pu.Query().Get("endpoint"), "/") + "/" + pu.Host + "/" + strings.Trim(pu.Path, "/") + "/site"
}

func fetch(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	return resp.StatusCode, string(body)
}

// mysqlOnly returns a fresh MySQL database's DSN, or skips: replicas need
// MySQL.
func mysqlOnly(tb testing.TB) string {
	tb.Helper()
	for _, b := range storetest.Backends(tb) {
		if b.Name == "mysql" {
			return b.DSN(tb)
		}
	}
	tb.Skip("replicas need MySQL: set " + storetest.EnvMySQL)
	return ""
}

// getBytes fetches path, which must answer 200, and returns its body.
func getBytes(t *testing.T, s *clitest.Server, path string) []byte {
	t.Helper()
	code, body := s.Get(t, path)
	if code != http.StatusOK {
		t.Fatalf("GET %s%s: %d", s.URL, path, code)
	}
	return []byte(body)
}

type replicaState struct {
	Status     string `json:"status"`
	Replica    string `json:"replica"`
	Builder    bool   `json:"builder"`
	QueueDepth int    `json:"queue_depth"`
	LiveBuild  string `json:"live_build"`
}

func readyz(t *testing.T, s *clitest.Server) replicaState {
	t.Helper()
	resp, err := http.Get(s.URL + "/readyz")
	if err != nil {
		return replicaState{}
	}
	defer resp.Body.Close()
	var st replicaState
	_ = json.NewDecoder(resp.Body).Decode(&st)
	return st
}
