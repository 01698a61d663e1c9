// Command table collects the figures `make bench` measured into one table:
// each DESIGN.md target, the peer it is measured against, both figures from
// the same run, the ratio, the goal and whether it is met. Benchmarks print
// their figures as HUIMIN-BENCH lines (package cms/benchline); a target
// without one is listed as "not measured" with the reason: the peer that
// could not be installed, or the step that failed or skipped.
//
//	go run ./table -logs out/logs -json out/bench.json
//
// The previous bench.json, if any, gives the "before" column, so successive
// runs can be compared.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// target is one line of the table. A ratio goal compares ours ÷ theirs; an
// absolute one compares our median itself, in the row's unit.
type target struct {
	id, what, peer string
	step           string // the bench step (run.sh) that measures it
	op             string // "≤" or "≥"
	limit          float64
	absolute       bool
	unit           string // of an absolute goal
	peerEnv        string // set to the reason when the peer could not be installed
}

// targets is DESIGN.md's list, then the capabilities' own targets. Rows a
// benchmark prints under another id are added after these.
var targets = []target{
	{id: "publish-live", what: "publish one story → live, 10,000 stories", peer: "full build", step: "publish", op: "≤", limit: 0.05},
	{id: "build-vs-hugo", what: "full build (export + render), 10,000 stories", peer: "hugo CLI", step: "publish", op: "≤", limit: 1.2, peerEnv: "HUIMIN_BENCH_HUGO_MISSING"},
	{id: "build-peak-memory", what: "peak memory (publish benchmark)", step: "publish", op: "≤", limit: 1536, absolute: true, unit: "MiB"},
	{id: "media-upload", what: "12 MP upload → 6 variants served (HTTP)", peer: "vipsthumbnail", step: "upload", op: "≤", limit: 0.5, peerEnv: "HUIMIN_BENCH_VIPS_MISSING"},
	{id: "media-inprocess", what: "12 MP → 6 variants, in process", peer: "vipsthumbnail", step: "media", op: "≤", limit: 0.5, peerEnv: "HUIMIN_BENCH_VIPS_MISSING"},
	{id: "api-slug-pocketbase", what: "content API: story by slug, 10,000 stories", peer: "PocketBase", step: "content", op: "≥", limit: 3, peerEnv: "HUIMIN_BENCH_POCKETBASE_MISSING"},
	{id: "api-list-pocketbase", what: "content API: filtered list of 20", peer: "PocketBase", step: "content", op: "≥", limit: 3, peerEnv: "HUIMIN_BENCH_POCKETBASE_MISSING"},
	{id: "api-slug-minimal", what: "content API: story by slug", peer: "minimal net/http", step: "content", op: "≥", limit: 0.5},
	{id: "api-list-minimal", what: "content API: filtered list of 20", peer: "minimal net/http", step: "content", op: "≥", limit: 0.3},
	{id: "story-page-size", what: "story page HTML+CSS, gzip", step: "pagesize", op: "≤", limit: 30 << 10, absolute: true, unit: "B"},
	{id: "admin-first-screen", what: "admin: 登录 → dashboard filled, 10,000 stories", peer: "demo site", step: "admin", op: "≤", limit: 1000, absolute: true, unit: "ms"},
	{id: "site-linkcheck", what: "link check in a full build, 10,000 stories", peer: "rest of the build", step: "linkcheck", op: "≤", limit: 0.1},
	{id: "replica-publish", what: "replicas: publish on a → live on b", peer: "full build", step: "replicas", op: "≤", limit: 0.05},
	{id: "replica-bucket", what: "replicas: full build into an empty bucket", peer: "full build, local", step: "replicas", op: "≤", limit: 1.3},
	{id: "replica-rebuild-bucket", what: "replicas: full build into a filled bucket", peer: "full build, local", step: "replicas", op: "≤", limit: 1.3},
	{id: "beacon-sqlite", what: "beacon ingestion, SQLite", peer: "minimal net/http", step: "beacon", op: "≥", limit: 0.5},
	{id: "beacon-mysql", what: "beacon ingestion, MariaDB", peer: "minimal net/http", step: "beacon", op: "≥", limit: 0.5},
	{id: "beacon-publish-limited", what: "publish → live under a beacon flood (one client)", peer: "idle server", step: "beaconpublish", op: "≤", limit: 1.5},
	{id: "beacon-publish-spread", what: "publish → live under a beacon flood (many clients)", peer: "idle server", step: "beaconpublish", op: "≤", limit: 1.5},
	{id: "stats-report-whole-site-sqlite", what: "30-day report, whole site, 10 M views, SQLite", step: "stats", op: "≤", limit: 200, absolute: true, unit: "ms"},
	{id: "stats-report-one-project-sqlite", what: "30-day report, one project, SQLite", step: "stats", op: "≤", limit: 200, absolute: true, unit: "ms"},
	{id: "stats-report-whole-site-mysql", what: "30-day report, whole site, MariaDB", step: "stats", op: "≤", limit: 200, absolute: true, unit: "ms"},
	{id: "stats-report-one-project-mysql", what: "30-day report, one project, MariaDB", step: "stats", op: "≤", limit: 200, absolute: true, unit: "ms"},
	{id: "sites-publish-under-rebuild", what: "publish → live on a small site while a 10,000-story site rebuilds (20 × 500 + 10,000)", peer: "idle single-site", step: "sites", op: "≤", limit: 2},
	{id: "sites-peak-memory", what: "peak memory, 21 sites (sites benchmark)", step: "sites", op: "≤", limit: 2048, absolute: true, unit: "MiB"},
}

// Figure and line mirror cms/benchline (this module cannot import it).
type Figure struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

type line struct {
	ID      string  `json:"id"`
	Unit    string  `json:"unit,omitempty"`
	Ours    *Figure `json:"ours,omitempty"`
	Peer    string  `json:"peer,omitempty"`
	Theirs  *Figure `json:"theirs,omitempty"`
	Note    string  `json:"note,omitempty"`
	Missing string  `json:"missing,omitempty"`
}

// Row is one row of bench.json.
type Row struct {
	ID     string   `json:"id"`
	Target string   `json:"target"`
	Peer   string   `json:"peer,omitempty"`
	Unit   string   `json:"unit,omitempty"`
	Ours   *Figure  `json:"ours,omitempty"`
	Theirs *Figure  `json:"theirs,omitempty"`
	Ratio  *float64 `json:"ratio,omitempty"`
	Goal   string   `json:"goal,omitempty"`
	Status string   `json:"status"` // pass, FAIL, not measured, info
	Reason string   `json:"reason,omitempty"`
	Note   string   `json:"note,omitempty"`
}

// Step is one go test run of make bench.
type Step struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	Exit    int     `json:"exit"`
	Why     string  `json:"why,omitempty"` // a failing or skipping step's own words
}

// Report is bench.json.
type Report struct {
	When    time.Time `json:"when"`
	Host    string    `json:"host"`
	CPUs    int       `json:"cpus"`
	Seconds float64   `json:"seconds"`
	Steps   []Step    `json:"steps"`
	Rows    []Row     `json:"rows"`
}

func main() {
	logs := flag.String("logs", "out/logs", "directory of the steps' logs (STEP.log) and steps.tsv")
	jsonOut := flag.String("json", "out/bench.json", "where to write the table as JSON (the previous one is the before column)")
	flag.Parse()
	if err := run(*logs, *jsonOut, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "table:", err)
		os.Exit(1)
	}
}

func run(logs, jsonOut string, w io.Writer) error {
	steps, err := readSteps(filepath.Join(logs, "steps.tsv"))
	if err != nil {
		return err
	}
	lines := map[string]line{}
	var order []string
	for i := range steps {
		found, why, err := readLog(filepath.Join(logs, steps[i].Name+".log"))
		if err != nil {
			return err
		}
		steps[i].Why = why
		for _, l := range found {
			if _, seen := lines[l.ID]; !seen {
				order = append(order, l.ID)
			}
			lines[l.ID] = l
		}
	}
	var before Report
	if raw, err := os.ReadFile(jsonOut); err == nil {
		_ = json.Unmarshal(raw, &before)
	}
	rep := Report{When: time.Now().UTC().Truncate(time.Second), CPUs: runtime.NumCPU(), Steps: steps}
	rep.Host, _ = os.Hostname()
	for _, s := range steps {
		rep.Seconds += s.Seconds
	}
	known := map[string]bool{}
	for _, t := range targets {
		known[t.id] = true
		rep.Rows = append(rep.Rows, judge(t, lines, steps))
	}
	for _, id := range order { // figures from benchmarks this list does not name yet
		if !known[id] {
			rep.Rows = append(rep.Rows, judge(target{id: id, what: id}, lines, steps))
		}
	}
	print(w, rep, before)
	raw, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(jsonOut, append(raw, '\n'), 0o644)
}

// judge makes t's row from the line its benchmark printed, or says why
// there is none.
func judge(t target, lines map[string]line, steps []Step) Row {
	r := Row{ID: t.id, Target: t.what, Peer: t.peer}
	if t.op != "" {
		r.Goal = fmt.Sprintf("%s %s", t.op, trim(t.limit))
		if t.absolute {
			r.Goal += " " + t.unit
		} else {
			r.Goal += "×"
		}
	}
	l, ok := lines[t.id]
	switch {
	case ok && l.Missing != "":
		r.Status, r.Reason = "not measured", l.Missing
		if l.Peer != "" {
			r.Peer = l.Peer
		}
		return r
	case !ok:
		r.Status = "not measured"
		if t.peerEnv != "" && os.Getenv(t.peerEnv) != "" {
			r.Reason = os.Getenv(t.peerEnv)
			return r
		}
		r.Reason = "no figure printed"
		for _, s := range steps {
			if s.Name == t.step {
				r.Reason = fmt.Sprintf("step %s printed no figure", s.Name)
				if s.Why != "" {
					r.Reason += ": " + s.Why
				}
				return r
			}
		}
		if t.step != "" {
			r.Reason = fmt.Sprintf("step %s did not run", t.step)
		}
		return r
	}
	r.Unit, r.Ours, r.Theirs, r.Note = l.Unit, l.Ours, l.Theirs, l.Note
	if l.Peer != "" {
		r.Peer = l.Peer
	}
	if l.Ours != nil && l.Theirs != nil && l.Theirs.Median != 0 {
		v := l.Ours.Median / l.Theirs.Median
		r.Ratio = &v
	}
	var got float64
	switch {
	case t.op == "":
		r.Status = "info"
		return r
	case t.absolute && l.Ours != nil:
		got = l.Ours.Median
	case !t.absolute && r.Ratio != nil:
		got = *r.Ratio
	default:
		r.Status, r.Reason = "not measured", "the benchmark printed no figure to compare"
		return r
	}
	if t.op == "≤" && got <= t.limit || t.op == "≥" && got >= t.limit {
		r.Status = "pass"
	} else {
		r.Status = "FAIL"
	}
	return r
}

func readSteps(path string) ([]Step, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var steps []Step
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Split(sc.Text(), "\t")
		if len(fs) != 3 {
			continue
		}
		secs, _ := strconv.ParseFloat(fs[1], 64)
		exit, _ := strconv.Atoi(fs[2])
		steps = append(steps, Step{Name: fs[0], Seconds: secs, Exit: exit})
	}
	return steps, sc.Err()
}

const prefix = "HUIMIN-BENCH "

var (
	skipLine = regexp.MustCompile(`^\s+\S+\.go:\d+: (.*)$`)
	// The site test logs the story page's weight; it is a test, not a benchmark.
	pageSize = regexp.MustCompile(`story page: HTML (\d+) B \+ CSS (\d+) B; (\d+) B gzipped`)
)

// readLog returns the lines a step printed and, when it failed or skipped,
// the first words that say why.
func readLog(path string) ([]line, string, error) {
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, "", nil
		}
		return nil, "", err
	}
	defer f.Close()
	var out []line
	var why, last string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		text := sc.Text()
		if i := strings.Index(text, prefix); i >= 0 {
			var l line
			if err := json.Unmarshal([]byte(text[i+len(prefix):]), &l); err == nil && l.ID != "" {
				out = append(out, l)
			}
			continue
		}
		if m := pageSize.FindStringSubmatch(text); m != nil {
			gz, _ := strconv.ParseFloat(m[3], 64)
			out = append(out, line{ID: "story-page-size", Unit: "B", Ours: &Figure{Median: gz, Min: gz, Max: gz, N: 1},
				Note: "HTML " + m[1] + " B + CSS " + m[2] + " B before gzip (TestSite_BuildNow)"})
		}
		switch {
		case why != "":
		case strings.Contains(text, "--- SKIP") || strings.Contains(text, "--- FAIL"):
			last = strings.TrimSpace(text)
		case last != "" && skipLine.MatchString(text):
			why = last + ": " + skipLine.FindStringSubmatch(text)[1]
		case strings.HasPrefix(text, "panic:") || strings.HasPrefix(text, "FAIL") || strings.Contains(text, "build failed"):
			why = strings.TrimSpace(text)
		}
	}
	if why == "" && last != "" {
		why = last
	}
	return out, cut(why, 240), sc.Err()
}

func print(w io.Writer, rep Report, before Report) {
	prev := map[string]Row{}
	for _, r := range before.Rows {
		prev[r.ID] = r
	}
	head := []string{"target", "peer", "ours", "theirs", "ratio", "goal", "result", "spread (min–max, n)", "before"}
	var rows [][]string
	for _, r := range rep.Rows {
		ratio, was := "", ""
		if r.Ratio != nil {
			ratio = fmt.Sprintf("%#.3g×", *r.Ratio)
		}
		if p, ok := prev[r.ID]; ok && p.Ratio != nil {
			was = fmt.Sprintf("%#.3g×", *p.Ratio)
		} else if ok && p.Ours != nil && r.Ratio == nil {
			was = value(p.Ours.Median, p.Unit)
		}
		result := r.Status
		if r.Status == "not measured" {
			result += ": " + cut(r.Reason, 100)
		}
		var spread []string
		for _, f := range []*Figure{r.Ours, r.Theirs} {
			if f != nil && f.N > 1 {
				spread = append(spread, fmt.Sprintf("%s–%s (%d)", value(f.Min, r.Unit), value(f.Max, r.Unit), f.N))
			}
		}
		rows = append(rows, []string{r.Target, cut(r.Peer, 40), fig(r.Ours, r.Unit), fig(r.Theirs, r.Unit), ratio, r.Goal, result,
			strings.Join(spread, " / "), was})
	}
	width := make([]int, len(head))
	for _, row := range append([][]string{head}, rows...) {
		for i, c := range row {
			width[i] = max(width[i], cells(c))
		}
	}
	pr := func(row []string) {
		var b strings.Builder
		for i, c := range row {
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-cells(c)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	fmt.Fprintf(w, "\n== make bench: %s, %d CPUs, %s in all ==\n", rep.When.Format(time.RFC3339), rep.CPUs,
		(time.Duration(rep.Seconds) * time.Second).String())
	pr(head)
	for _, row := range rows {
		pr(row)
	}
	fmt.Fprintln(w)
	var failed, missing int
	for _, r := range rep.Rows {
		switch r.Status {
		case "FAIL":
			failed++
		case "not measured":
			missing++
		}
	}
	fmt.Fprintf(w, "%d targets: %d met, %d not met, %d not measured. Steps:", len(rep.Rows), len(rep.Rows)-failed-missing, failed, missing)
	for _, s := range rep.Steps {
		fmt.Fprintf(w, " %s %.0fs", s.Name, s.Seconds)
		if s.Exit != 0 {
			fmt.Fprintf(w, " (exit %d)", s.Exit)
		}
	}
	fmt.Fprintln(w)
}

// cells is how many terminal columns s takes: Chinese characters take two.
func cells(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x2E80 && r <= 0xA4CF || r >= 0xAC00 && r <= 0xD7A3 || r >= 0xF900 && r <= 0xFAFF || r >= 0xFF00 && r <= 0xFF60 {
			n++
		}
	}
	return n
}

func fig(f *Figure, unit string) string {
	if f == nil {
		return ""
	}
	return value(f.Median, unit)
}

// value prints v in unit, readably: 512 ms, 39.2 s, 66,570 req/s.
func value(v float64, unit string) string {
	switch unit {
	case "ms":
		if v >= 10000 {
			return trim(math.Round(v/100)/10) + " s"
		}
		if v >= 100 {
			return trim(math.Round(v)) + " ms"
		}
		return trim(math.Round(v*10)/10) + " ms"
	case "":
		if v >= 100 {
			return group(math.Round(v))
		}
		return trim(math.Round(v*10) / 10)
	}
	if v >= 100 {
		return group(math.Round(v)) + " " + unit
	}
	return trim(math.Round(v*10)/10) + " " + unit
}

func trim(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func group(v float64) string {
	s := strconv.FormatInt(int64(v), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
