package web_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/benchline"
	"github.com/huimin/huimin/cms/store"
	"github.com/huimin/huimin/cms/web"
)

// BenchmarkContentAPI measures content API reads on a 10,000-story site
// against a minimal net/http server that returns the same JSON bytes from
// memory, with 32 keep-alive connections from an in-process load generator
// on loopback. Run it once:
//
//	go test -run '^$' -bench BenchmarkContentAPI -benchtime 1x ./cms/web/
//
// HUIMIN_BENCH_DURATION (default 5s) sets the time per measurement,
// HUIMIN_BENCH_STORIES (default 10000) the site size. Targets: by slug
// ≥ 0.5× the minimal server's requests/s, a filtered list of 20 ≥ 0.3×.
//
// With HUIMIN_BENCH_POCKETBASE naming the peer program of bench/pocketbase
// (make bench builds it), the same stories are loaded into PocketBase and
// read through its records API by the same load generator, in the same
// rounds: DESIGN.md's target is ≥ 3× PocketBase.
func BenchmarkContentAPI(b *testing.B) {
	dur, n := benchSize(10000)
	const conns = 32
	ctx := context.Background()
	db, err := store.Open(ctx, "", b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	if err := importBenchStories(ctx, db, n); err != nil {
		b.Fatal(err)
	}
	fmt.Printf("imported %d stories into SQLite in %s\n", n, time.Since(start).Round(time.Millisecond))

	cfg := web.Config{
		Stories: db, Projects: db, Users: db, Settings: db, Pages: db, Builds: db, Audit: db, Media: db,
		Content: db, ContentVersion: db, APIKeys: db, CORSOrigins: []string{"*"},
		// The per-address limiter stays in the path, as behind a declared
		// reverse proxy (requests carry X-Forwarded-For), with a rate above
		// what the generator sends.
		ContentRate: 1e9, TrustedProxies: []string{"127.0.0.1"}, Logger: slog.New(slog.DiscardHandler),
	}
	huimin, stop := serveBench(b, web.New(cfg))
	defer stop()
	uncachedCfg := cfg
	uncachedCfg.ContentVersion = nil // every read queries SQLite
	uncached, stop2 := serveBench(b, web.New(uncachedCfg))
	defer stop2()

	items, _, err := db.FindLiveStories(ctx, cms.ContentFilter{Page: cms.Page{Page: n/40 + 1, PerPage: 20}})
	if err != nil || len(items) == 0 {
		b.Fatalf("pick a story: %v", err)
	}
	pb := startPocketBase(b, ctx, db, n)
	if pb != nil {
		defer pb.stop()
	}
	cases := []struct{ id, name, path, pbPath string }{
		{"api-slug", "story by slug", "/api/v1/content/stories/" + items[0].Slug, pb.storyPath(b, items[0].Slug)},
		{"api-list", "filtered list of 20", "/api/v1/content/stories?project=p3&area=elderly&per_page=20&page=3",
			"/api/collections/stories/records?page=3&perPage=20&sort=-published_at&filter=" +
				url.QueryEscape("project='p3' && area='elderly'")},
	}
	fmt.Printf("%d connections, %s per measurement, GOMAXPROCS=%d\n\n", conns, dur, runtime.GOMAXPROCS(0))
	fmt.Printf("%-22s %-16s %10s %10s %8s %9s\n", "case", "server", "req/s", "p99", "bytes", "ratio")
	for _, c := range cases {
		body, err := fetch(huimin, c.path)
		if err != nil {
			b.Fatal(err)
		}
		minimal, stop3 := serveBench(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h["Content-Type"] = []string{"application/json; charset=utf-8"}
			h["Content-Length"] = []string{strconv.Itoa(len(body))}
			w.Write(body)
		}))
		// The machine may be busy with other work: the servers take turns
		// in short rounds, so that load falls on all of them alike.
		targets := []target{{minimal, c.path}, {huimin, c.path}, {uncached, c.path}}
		var pbBody []byte
		if pb != nil {
			if pbBody, err = fetch(pb.addr, c.pbPath); err != nil {
				b.Fatal(err)
			}
			if !bytes.Contains(pbBody, []byte(`"slug":"`+items[0].Slug+`"`)) && c.id == "api-slug" {
				b.Fatalf("PocketBase answered %.200s", pbBody)
			}
			targets = append(targets, target{pb.addr, c.pbPath})
		}
		rs := interleave(b, targets, conns, dur, 5)
		base, got, cold := rs[0], rs[1], rs[2]
		stop3()
		ratio := got.rps / base.rps
		fmt.Printf("%-22s %-16s %10.0f %10s %8d %9s\n", c.name, "minimal net/http", base.rps, base.p99, len(body), "")
		fmt.Printf("%-22s %-16s %10.0f %10s %8d %8.2f×\n", "", "huimin", got.rps, got.p99, len(body), ratio)
		fmt.Printf("%-22s %-16s %10.0f %10s %8d %8.2f×\n", "", "huimin uncached", cold.rps, cold.p99, len(body), cold.rps/base.rps)
		b.ReportMetric(ratio, strings.ReplaceAll(c.name, " ", "-")+"-ratio")
		benchline.Emit(benchline.Row{ID: c.id + "-minimal", Unit: "req/s", Ours: benchline.Values(got.rounds),
			Peer: "minimal net/http server, same bytes from memory", Theirs: benchline.Values(base.rounds),
			Note: fmt.Sprintf("p99 %s vs %s; uncached %.0f req/s", got.p99, base.p99, cold.rps)})
		if pb == nil {
			benchline.NotMeasured(c.id+"-pocketbase", "PocketBase", pocketBaseMissing())
			continue
		}
		peer := rs[3]
		fmt.Printf("%-22s %-16s %10.0f %10s %8d %8.2f×\n", "", "PocketBase", peer.rps, peer.p99, len(pbBody), peer.rps/base.rps)
		b.ReportMetric(got.rps/peer.rps, strings.ReplaceAll(c.name, " ", "-")+"-vs-pocketbase")
		benchline.Emit(benchline.Row{ID: c.id + "-pocketbase", Unit: "req/s", Ours: benchline.Values(got.rounds),
			Peer: "PocketBase " + pb.version + " records API", Theirs: benchline.Values(peer.rounds),
			Note: fmt.Sprintf("p99 %s vs %s; %d vs %d bytes; huimin with its response cache off: %.0f req/s, %.1f× PocketBase",
				got.p99, peer.p99, len(body), len(pbBody), cold.rps, cold.rps/peer.rps)})
	}
	fmt.Println()
}

// benchSize reads the time per measurement from HUIMIN_BENCH_DURATION
// (default 5s) and the site size from HUIMIN_BENCH_STORIES (default stories).
func benchSize(stories int) (time.Duration, int) {
	dur := 5 * time.Second
	if v, err := time.ParseDuration(os.Getenv("HUIMIN_BENCH_DURATION")); err == nil {
		dur = v
	}
	if v, err := strconv.Atoi(os.Getenv("HUIMIN_BENCH_STORIES")); err == nil && v > 0 {
		stories = v
	}
	return dur, stories
}

// importBenchStories imports n published stories with bodies of about a
// thousand characters in twelve projects.
func importBenchStories(ctx context.Context, db *store.DB, n int) error {
	sentences := []string{
		"社区养老服务中心为辖区高龄独居老人提供助餐、助浴和上门巡访服务。",
		"婚姻登记处在七夕当天为新人举办集体颁证仪式，现场气氛温馨庄重。",
		"银龄志愿者队伍坚持每周走访困难家庭，帮助老人解决生活中的实际困难。",
		"殡葬服务中心推行一米亲情服务，让逝者有尊严、生者得慰藉。",
		"退役军人服务站开展优抚对象走访慰问，送去节日的问候和关怀。",
		"残疾人就业帮扶基地组织技能培训，帮助学员掌握一技之长。",
		"儿童福利机构为困境儿童建立成长档案，落实一人一案的关爱措施。",
		"社会组织孵化基地为公益团队提供场地、培训和项目对接服务。",
	}
	tags := []string{"养老", "婚姻登记", "志愿服务", "殡葬改革", "优抚", "助残", "儿童关爱", "社区治理"}
	base := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	const batch = 1000
	for startAt := 0; startAt < n; startAt += batch {
		var items []*cms.ImportStory
		for i := startAt; i < min(n, startAt+batch); i++ {
			var body strings.Builder
			for p := range 6 {
				body.WriteString("<p>")
				for k := range 3 {
					body.WriteString(sentences[(i+p*3+k)%len(sentences)])
				}
				body.WriteString("</p>")
			}
			at := base.Add(time.Duration(i) * 97 * time.Minute)
			items = append(items, &cms.ImportStory{
				Title:       fmt.Sprintf("第%d期：%s", i+1, string([]rune(sentences[i%len(sentences)])[:12])),
				Summary:     sentences[(i+1)%len(sentences)],
				Body:        body.String(),
				Project:     fmt.Sprintf("p%d", i%12+1),
				Tags:        []string{tags[i%len(tags)], tags[(i/3)%len(tags)]},
				Author:      "宣传科",
				Source:      "区民政局",
				PublishedAt: &at,
				Status:      "published",
			})
		}
		errs, err := db.ImportStories(ctx, items)
		if err != nil {
			return err
		}
		for i, e := range errs {
			if e != nil {
				return fmt.Errorf("item %d: %w", startAt+i, e)
			}
		}
	}
	// Give p3 the area the list filters on; projects created by import
	// default to community.
	p, err := db.FindProjectBySlug(ctx, "p3")
	if err != nil {
		return err
	}
	area := cms.Area("elderly")
	_, err = db.UpdateProject(ctx, p.ID, cms.ProjectUpdate{Version: p.Version, Area: &area})
	return err
}

func fetch(addr, path string) ([]byte, error) {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return body, err
}

type loadResult struct {
	rps    float64
	p99    time.Duration
	rounds []float64 // requests/s of each round
}

// target is one server and the path it answers the case on.
type target struct{ addr, path string }

// load drives conns keep-alive connections against addr for d and returns
// the latency of every request. It speaks just
// enough HTTP/1.1 itself (like wrk) so that the generator, which shares the
// CPUs with the server, stays cheap.
func load(b *testing.B, addr, path string, conns int, d time.Duration) []time.Duration {
	req := []byte("GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: huimin-bench\r\n" +
		"X-Forwarded-For: 198.51.100.7\r\n\r\n")
	run := func(d time.Duration, record bool) ([][]time.Duration, int) {
		var wg sync.WaitGroup
		lat := make([][]time.Duration, conns)
		errs := make([]error, conns)
		deadline := time.Now().Add(d)
		for i := range conns {
			wg.Go(func() {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					errs[i] = err
					return
				}
				defer c.Close()
				br := bufio.NewReaderSize(c, 64<<10)
				if record {
					lat[i] = make([]time.Duration, 0, 1<<16)
				}
				for {
					t0 := time.Now()
					if t0.After(deadline) {
						return
					}
					if _, err := c.Write(req); err != nil {
						errs[i] = err
						return
					}
					if err := readResponse(br); err != nil {
						errs[i] = err
						return
					}
					if record {
						lat[i] = append(lat[i], time.Since(t0))
					}
				}
			})
		}
		wg.Wait()
		failed := 0
		for _, err := range errs {
			if err != nil {
				failed++
				b.Errorf("load %s%s: %v", addr, path, err)
			}
		}
		return lat, failed
	}
	run(d/10, false) // warm up: connections, caches
	lat, _ := run(d, true)
	return slices.Concat(lat...)
}

// interleave measures each server for d in total, in rounds of d/rounds,
// rotating which goes first, and merges the rounds.
func interleave(b *testing.B, targets []target, conns int, d time.Duration, rounds int) []loadResult {
	lat := make([][]time.Duration, len(targets))
	out := make([]loadResult, len(targets))
	per := d / time.Duration(rounds)
	for r := range rounds {
		for k := range targets {
			i := (k + r) % len(targets)
			got := load(b, targets[i].addr, targets[i].path, conns, per)
			lat[i] = append(lat[i], got...)
			out[i].rounds = append(out[i].rounds, float64(len(got))/per.Seconds())
		}
	}
	for i, l := range lat {
		if len(l) == 0 {
			continue
		}
		slices.Sort(l)
		out[i].rps, out[i].p99 = float64(len(l))/d.Seconds(), l[len(l)*99/100].Round(time.Microsecond)
	}
	return out
}

var errStatus = errors.New("status is not 200")

// readResponse reads one response with a Content-Length or chunked body.
func readResponse(br *bufio.Reader) error {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 200")) {
		return fmt.Errorf("%w: %q", errStatus, line)
	}
	length, chunked := -1, false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		k, v, _ := bytes.Cut(line, []byte(":"))
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			length, _ = strconv.Atoi(string(v))
		case bytes.EqualFold(k, []byte("Transfer-Encoding")) && bytes.EqualFold(v, []byte("chunked")):
			chunked = true
		}
	}
	if !chunked {
		if length < 0 {
			return errors.New("no Content-Length")
		}
		_, err := br.Discard(length)
		return err
	}
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil {
			return err
		}
		if _, err := br.Discard(int(size) + 2); err != nil {
			return err
		}
		if size == 0 {
			return nil
		}
	}
}
