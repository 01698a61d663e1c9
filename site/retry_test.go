package site

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
)

// faultyDisk makes the first n build directories fail with errno, as a
// full disk or a site/builds the server may not write does, and records
// the pauses the builder asks for instead of sleeping.
type faultyDisk struct {
	mu     sync.Mutex
	n      int
	errno  syscall.Errno
	tries  int
	pauses []time.Duration
}

func (d *faultyDisk) install(s *Site) {
	s.mkdir = func(name string, perm os.FileMode) error {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.tries++
		if d.n != 0 {
			d.n--
			return &fs.PathError{Op: "mkdir", Path: name, Err: d.errno}
		}
		return os.Mkdir(name, perm)
	}
	s.sleep = func(ctx context.Context, p time.Duration) error {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.pauses = append(d.pauses, p)
		return ctx.Err()
	}
}

// Issue 12 item 10: a build that fails because the disk is full or
// site/builds is not writable is tried again after 1, 4 and 16 seconds;
// if it still fails, the record and the error say why in words, and the
// last good site stays live.
func TestSite_BuildRetriesDiskFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		errno syscall.Errno
		want  []string
	}{
		{"DiskFull", syscall.ENOSPC, []string{"磁盘空间不足", "no space left on device"}},
		{"NotWritable", syscall.EACCES, []string{"没有写入权限", "site/builds", "permission denied"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			s := newSite(t, f)
			buildNow(t, s)

			t.Run("Recovers", func(t *testing.T) {
				d := &faultyDisk{n: 2, errno: tc.errno}
				d.install(s)
				b, err := s.BuildNow(context.Background(), "after two faults")
				if err != nil {
					t.Fatalf("build after two faults: %v", err)
				}
				if d.tries != 3 || !slices.Equal(d.pauses, []time.Duration{time.Second, 4 * time.Second}) {
					t.Errorf("tries %d, pauses %v; want 3 tries after 1s and 4s", d.tries, d.pauses)
				}
				if b.Status != cms.BuildSucceeded || b.Error != "" {
					t.Errorf("record: %+v", b)
				}
			})

			t.Run("GivesUp", func(t *testing.T) {
				d := &faultyDisk{n: -1, errno: tc.errno}
				d.install(s)
				live := s.current().name
				b, err := s.BuildNow(context.Background(), "disk stays faulty")
				if err == nil {
					t.Fatal("build succeeded")
				}
				if d.tries != 4 || !slices.Equal(d.pauses, []time.Duration{time.Second, 4 * time.Second, 16 * time.Second}) {
					t.Errorf("tries %d, pauses %v; want 4 tries after 1s, 4s and 16s", d.tries, d.pauses)
				}
				stored, _ := f.FindBuildByID(context.Background(), b.ID)
				if stored.Status != cms.BuildFailed {
					t.Errorf("stored status %s", stored.Status)
				}
				for _, w := range tc.want {
					contains(t, "build record error", stored.Error, w)
					contains(t, "BuildNow error", err.Error(), w)
				}
				t.Logf("error: %s", stored.Error)
				if !strings.HasPrefix(stored.Error, tc.want[0]) {
					t.Errorf("error %q does not start with %q", stored.Error, tc.want[0])
				}
				if strings.Contains(stored.Error, s.dir) {
					t.Errorf("error has absolute paths: %q", stored.Error)
				}
				if s.current().name != live {
					t.Error("the live build changed")
				}
				page(t, s, "/stories/first-wedding/")
			})
		})
	}
}

// A shutdown ends the pauses between tries: the build fails at once.
func TestSite_BuildRetryStopsOnShutdown(t *testing.T) {
	t.Parallel()
	f := newFixture()
	s := newSite(t, f)
	d := &faultyDisk{n: -1, errno: syscall.ENOSPC}
	d.install(s)
	ctx, cancel := context.WithCancel(context.Background())
	s.sleep = func(ctx context.Context, p time.Duration) error {
		d.mu.Lock()
		d.pauses = append(d.pauses, p)
		d.mu.Unlock()
		cancel() // the server is told to stop during the first pause
		return ctx.Err()
	}
	ran := make(chan error)
	go func() { ran <- s.Run(ctx) }()
	b, err := s.Rebuild(ctx, "disk full at shutdown")
	if err != nil {
		t.Fatal(err)
	}
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	got, _ := f.FindBuildByID(context.Background(), b.ID)
	if got.Status != cms.BuildFailed || !strings.HasPrefix(got.Error, "磁盘空间不足") || len(d.pauses) != 1 {
		t.Errorf("build %+v after pauses %v", got, d.pauses)
	}
}

func TestFaultOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want diskFault
	}{
		{nil, noFault},
		{errors.New("template: page.html:3: unexpected EOF"), noFault},
		{fmt.Errorf("render: %w", &fs.PathError{Op: "write", Path: "/d/site/builds/3/index.html", Err: syscall.ENOSPC}), diskFull},
		{fmt.Errorf("quota: %w", syscall.EDQUOT), diskFull},
		// Hugo passes some errors on as text only.
		{errors.New("failed to render pages: write /d/x: no space left on device"), diskFull},
		{fmt.Errorf("x: %w", &fs.PathError{Op: "open", Path: "/d/site/builds/3/a.css", Err: syscall.EACCES}), notWritable},
		{fmt.Errorf("x: %w", syscall.EROFS), notWritable},
		{errors.New("copying static files: open /d/x: permission denied"), notWritable},
	} {
		if got := faultOf(tc.err); got != tc.want {
			t.Errorf("faultOf(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
