// Package clitest starts `huimin serve` in-process for end-to-end tests and
// benchmarks, and talks to it over HTTP as a client would. It is the one
// harness: the command's tests, the admin UI's browser tests and the
// benchmarks all use it.
package clitest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/huimin/huimin/cms/cli"
)

// Server is a running `huimin serve` started through cli.Run.
type Server struct {
	URL      string
	Password string
	Data     string
	DSN      string
	out      *lockedBuffer
	stderr   *lockedBuffer
	cancel   context.CancelFunc
	done     chan error
	proc     *os.Process // a binary started by RunBinary
}

// Output is what the server printed on stdout so far.
func (s *Server) Output() string { return s.out.String() }

// Stderr is what the server logged so far.
func (s *Server) Stderr() string { return s.stderr.String() }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var (
	// ListenLine is the line serve prints once it listens.
	ListenLine   = regexp.MustCompile(`Huimin 已启动：(http://[^/\s]+)/`)
	passwordLine = regexp.MustCompile(`密码：(\S+)`)
)

// MustRunServe starts `huimin serve` on a free port with a fresh data
// directory and waits until /healthz answers 200.
func MustRunServe(tb testing.TB, dsn string, extra ...string) *Server {
	tb.Helper()
	data := tb.TempDir()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--db", dsn}, extra...)
	return MustRun(tb, data, dsn, args)
}

// MustRun runs the serve command line args on data and waits until
// /healthz answers 200. The server stops when the test ends.
func MustRun(tb testing.TB, data, dsn string, args []string) *Server {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &Server{Data: data, DSN: dsn, out: &lockedBuffer{}, stderr: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	project := Project(tb)
	go func() {
		err := cli.Run(ctx, args, func(string) string { return "" }, strings.NewReader(""), pw, s.stderr, project)
		pw.CloseWithError(err)
		s.done <- err
	}()
	found := make(chan struct{})
	go s.readStdout(pr, found)
	select {
	case <-found:
	case err := <-s.done:
		tb.Fatalf("huimin serve exited: %v\nstdout:\n%s\nstderr:\n%s", err, s.out, s.stderr)
	case <-time.After(3 * time.Minute):
		tb.Fatalf("huimin serve did not start\nstdout:\n%s\nstderr:\n%s", s.out, s.stderr)
	}
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-s.done:
			if err != nil {
				tb.Errorf("serve returned %v\nstderr:\n%s", err, s.stderr)
			}
		case <-time.After(time.Minute):
			tb.Errorf("serve did not stop within a minute")
		}
	})
	if err := WaitHealthy(s.URL, 2*time.Minute); err != nil {
		tb.Fatalf("%v\nstderr:\n%s", err, s.stderr)
	}
	return s
}

// WaitHealthy polls base/healthz until it answers 200 or limit passes.
func WaitHealthy(base string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s/healthz never became ready (last error %v)", base, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readStdout keeps what the server prints, notes the admin password it
// prints on a first start, and closes found once it prints where it
// listens (setting URL). It returns when stdout ends.
func (s *Server) readStdout(stdout io.Reader, found chan<- struct{}) {
	sc := bufio.NewScanner(stdout)
	signalled := false
	for sc.Scan() {
		line := sc.Text()
		s.out.Write([]byte(line + "\n"))
		if m := passwordLine.FindStringSubmatch(line); m != nil && s.Password == "" {
			s.Password = m[1]
		}
		if m := ListenLine.FindStringSubmatch(line); m != nil && !signalled {
			s.URL = m[1]
			signalled = true
			close(found)
		}
	}
}

// Stop shuts the server down now; its cleanup then finds it stopped.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			tb.Errorf("serve returned %v", err)
		}
		s.done <- nil
	case <-time.After(time.Minute):
		tb.Fatalf("serve did not stop")
	}
}

// Call makes a JSON request and decodes the JSON answer into a map.
func (s *Server) Call(tb testing.TB, method, path, token string, body any) (int, map[string]any) {
	tb.Helper()
	out := map[string]any{}
	code := s.CallJSON(tb, method, path, token, body, &out)
	return code, out
}

// Must makes a JSON request that must answer want and returns the answer.
func (s *Server) Must(tb testing.TB, want int, method, path, token string, body any) map[string]any {
	tb.Helper()
	code, out := s.Call(tb, method, path, token, body)
	if code != want {
		tb.Fatalf("%s %s: %d %v, want %d", method, path, code, out, want)
	}
	return out
}

// CallJSON makes a JSON request and decodes a JSON answer into out, which
// may be a typed response. body is sent as is when it is a string or
// []byte, and as JSON otherwise.
func (s *Server) CallJSON(tb testing.TB, method, path, token string, body, out any) int {
	tb.Helper()
	resp, raw := Send(tb, nil, Request(tb, method, s.URL+path, token, body))
	AssertNoLeak(tb, method+" "+path, raw)
	if len(raw) > 0 && out != nil && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, out); err != nil {
			tb.Fatalf("%s %s: invalid JSON %q: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}

// Request is a request to url with Content-Type application/json, and
// token, when set, as its bearer token. body is sent as is when it is a
// string or []byte, and as JSON otherwise.
func Request(tb testing.TB, method, url, token string, body any) *http.Request {
	tb.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	case *bytes.Buffer:
		r = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

// Send does req with client (http.DefaultClient when nil) and returns the
// answer with its body read; it fails tb when there is no answer.
func Send(tb testing.TB, client *http.Client, req *http.Request) (*http.Response, []byte) {
	tb.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, raw
}

// UploadRequest is a request posting data to /api/v1/media as multipart
// field "file" named name.
func UploadRequest(tb testing.TB, base, token, name string, data []byte) *http.Request {
	tb.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(data)
	w.Close()
	req := Request(tb, "POST", base+"/api/v1/media", token, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return req
}

// List is the JSON shape of every list answer, with typed items.
type List[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

// GetList fetches the list answer of path and fails unless it is a 200.
func GetList[T any](tb testing.TB, s *Server, path, token string) List[T] {
	tb.Helper()
	var l List[T]
	if code := s.CallJSON(tb, "GET", path, token, nil, &l); code != http.StatusOK {
		tb.Fatalf("GET %s: %d", path, code)
	}
	return l
}

// AssertNoLeak fails if a response carries database text or a stack trace.
func AssertNoLeak(tb testing.TB, what string, body []byte) {
	tb.Helper()
	low := strings.ToLower(string(body))
	for _, bad := range []string{"sqlite", "mysql", "gorm", "sql:", "syntax error", "goroutine ", "panic", "insert into", "select "} {
		if strings.Contains(low, bad) {
			tb.Errorf("%s: response leaks %q: %.300s", what, bad, body)
		}
	}
}

// Get fetches path and returns its status and body.
func (s *Server) Get(tb testing.TB, path string) (int, string) {
	tb.Helper()
	resp, err := http.Get(s.URL + path)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Login signs user in and returns the bearer token.
func (s *Server) Login(tb testing.TB, user, password string) string {
	tb.Helper()
	code, out := s.Call(tb, "POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": password})
	if code != http.StatusOK || out["token"] == "" {
		tb.Fatalf("login %s: %d %v", user, code, out)
	}
	return out["token"].(string)
}

// Session is a signed-in user as the admin UI keeps it.
type Session struct {
	Token string          `json:"token"`
	User  json.RawMessage `json:"user"`
}

// LoginSession signs user in and returns the session the admin UI stores.
func (s *Server) LoginSession(tb testing.TB, user, password string) Session {
	tb.Helper()
	var ses Session
	if code := s.CallJSON(tb, "POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": password}, &ses); code != http.StatusOK || ses.Token == "" {
		tb.Fatalf("login %s: %d", user, code)
	}
	return ses
}

// Script is the JavaScript that signs the admin UI in with ses (run it on
// a page of the server's origin, then open /admin/).
func (ses Session) Script() string {
	return fmt.Sprintf(`localStorage.setItem("huimin.token", %q); localStorage.setItem("huimin.user", %q); true`, ses.Token, ses.User)
}

// Poll calls done every 50 ms until it reports true; when limit passes
// first it fails tb with what done said last.
func Poll(tb testing.TB, limit time.Duration, done func() (ok bool, last string)) {
	tb.Helper()
	for deadline := time.Now().Add(limit); ; time.Sleep(50 * time.Millisecond) {
		ok, last := done()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("still not done after %v: %s", limit, last)
		}
	}
}

// WaitPage polls path until it answers 200 with text in it.
func (s *Server) WaitPage(tb testing.TB, path, text string, limit time.Duration) {
	tb.Helper()
	Poll(tb, limit, func() (bool, string) {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.Contains(string(body), text),
			fmt.Sprintf("%s%s answers %d without %q\n%.2000s", s.URL, path, resp.StatusCode, text, s.Stderr())
	})
}

// WaitBuild polls a build record until it is done and returns it.
func (s *Server) WaitBuild(tb testing.TB, token string, id any) (b map[string]any) {
	tb.Helper()
	Poll(tb, 2*time.Minute, func() (bool, string) {
		var code int
		if code, b = s.Call(tb, "GET", fmt.Sprintf("/api/v1/builds/%v", id), token, nil); code != http.StatusOK {
			tb.Fatalf("build %v: %d %v", id, code, b)
		}
		return b["status"] == "succeeded" || b["status"] == "failed", fmt.Sprintf("build %v not done: %v", id, b)
	})
	return b
}

// WaitBuilt is WaitBuild for a build that must succeed.
func (s *Server) WaitBuilt(tb testing.TB, token string, id any) {
	tb.Helper()
	if b := s.WaitBuild(tb, token, id); b["status"] != "succeeded" {
		tb.Fatalf("build %v: %v", id, b)
	}
}

// Upload posts data as multipart field "file" and decodes the JSON answer.
func (s *Server) Upload(tb testing.TB, token, name string, data []byte) (int, map[string]any, time.Duration) {
	tb.Helper()
	req := UploadRequest(tb, s.URL, token, name, data)
	start := time.Now()
	resp, raw := Send(tb, nil, req)
	AssertNoLeak(tb, "upload "+name, raw)
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, time.Since(start)
}

// StoryPath is the management API path of story id, with rest appended.
func StoryPath(id int, rest string) string { return fmt.Sprintf("/api/v1/stories/%d%s", id, rest) }

// Act posts a workflow action and fails unless it answers want.
func (s *Server) Act(tb testing.TB, token string, id int, action string, body any, want int) map[string]any {
	tb.Helper()
	code, out := s.Call(tb, "POST", StoryPath(id, "/actions/"+action), token, body)
	if code != want {
		tb.Fatalf("%s story %d: %d %v, want %d", action, id, code, out, want)
	}
	return out
}

// Num reads a JSON number as an int.
func Num(v any) int { f, _ := v.(float64); return int(f) }

// Fields returns the fields of an error answer.
func Fields(out map[string]any) map[string]any {
	e, _ := out["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	return f
}

// RepoRoot is the repository's root directory, found from the working
// directory by looking for go.mod.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

var (
	projectOnce sync.Once
	project     fstest.MapFS
	projectErr  error
)

// Project is the repository's Hugo project as main.go embeds it: only
// config.toml and themes/.
func Project(tb testing.TB) fs.FS {
	tb.Helper()
	projectOnce.Do(func() {
		root := os.DirFS(RepoRoot(tb))
		project = fstest.MapFS{}
		for _, top := range []string{"config.toml", "themes"} {
			projectErr = fs.WalkDir(root, top, func(name string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := fs.ReadFile(root, name)
				project[name] = &fstest.MapFile{Data: b, Mode: 0o644}
				return err
			})
			if projectErr != nil {
				return
			}
		}
	})
	if projectErr != nil {
		tb.Fatal(projectErr)
	}
	return project
}

// CopyTree copies the named entries of directory from into to.
func CopyTree(tb testing.TB, from, to string, names ...string) {
	tb.Helper()
	for _, name := range names {
		err := filepath.WalkDir(filepath.Join(from, name), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(from, p)
			if err != nil {
				return err
			}
			dst := filepath.Join(to, rel)
			if d.IsDir() {
				return os.MkdirAll(dst, 0o755)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(dst, b, 0o644)
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// TestPhoto is a 1600 × 1200 photo-like JPEG: a bright subject low on the
// left (so a focal point there means something), its colour set by hue.
func TestPhoto(tb testing.TB, hue uint8) []byte {
	tb.Helper()
	m := image.NewRGBA(image.Rect(0, 0, 1600, 1200))
	for y := 0; y < 1200; y++ {
		for x := 0; x < 1600; x++ {
			c := color.RGBA{uint8(70 + x/16), uint8(110 + y/14), uint8(150 - y/12), 255}
			if dx, dy := x-400, y-840; dx*dx+dy*dy < 160*160 {
				c = color.RGBA{230, hue, 40, 255}
			}
			m.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 85}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
