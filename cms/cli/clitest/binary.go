package clitest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ServiceUser is the account a test runs the binary as when it runs as
// root: nobody, as a systemd unit with DynamicUser or a container would.
type ServiceUser struct {
	Name     string
	UID, GID uint32
}

// Unprivileged returns the user the binary should run as: nobody when the
// test runs as root, else the current (already unprivileged) user, as nil.
func Unprivileged(tb testing.TB) *ServiceUser {
	tb.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		tb.Fatalf("running as root and there is no user nobody to run the server as: %v", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &ServiceUser{Name: u.Username, UID: uint32(uid), GID: uint32(gid)}
}

// BuildBinary puts the huimin command, compiled once per test process,
// into dir and returns its path. Linking the command takes seconds of CPU
// each time; a package's tests share one build (RemoveBuilt removes it).
func BuildBinary(tb testing.TB, dir string) string {
	tb.Helper()
	built.once.Do(func() {
		tmp, err := os.MkdirTemp("", "huimin-test-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.dir = tmp
		cmd := exec.Command("go", "build", "-o", filepath.Join(tmp, "huimin"), ".")
		cmd.Dir = RepoRoot(tb)
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		tb.Fatal(built.err)
	}
	bin := filepath.Join(dir, "huimin")
	if err := copyExecutable(filepath.Join(built.dir, "huimin"), bin); err != nil {
		tb.Fatal(err)
	}
	return bin
}

var built struct {
	once sync.Once
	dir  string
	err  error
}

// RemoveBuilt removes the command BuildBinary compiled, if it did; a test
// package's TestMain calls it when its tests are done.
func RemoveBuilt() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}

// copyExecutable copies the executable src to dst: a copy, not a link, so
// a test that runs it as another user may own it.
func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ServiceDir makes a directory that as (when not nil) owns and can reach:
// the test's temporary directories are private to root.
func ServiceDir(tb testing.TB, as *ServiceUser) string {
	tb.Helper()
	base := tb.TempDir()
	for d := base; d != filepath.Dir(d) && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	dir := filepath.Join(base, "svc")
	if err := os.Mkdir(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if as != nil {
		if err := os.Chown(dir, int(as.UID), int(as.GID)); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// RunBinary starts the compiled binary with args as a separate process,
// as user as (when not nil), with the environment a service gets: no HOME
// it can write to, umask 022. It waits until /healthz answers 200. When the
// test ends it sends SIGTERM and fails unless the process exits cleanly
// within a minute.
func RunBinary(tb testing.TB, bin string, as *ServiceUser, args ...string) *Server {
	tb.Helper()
	return RunBinaryEnv(tb, bin, as, nil, args...)
}

// RunBinaryEnv is RunBinary with env ("NAME=value") added to the service's
// environment: a secret key several replicas share, say.
func RunBinaryEnv(tb testing.TB, bin string, as *ServiceUser, env []string, args ...string) *Server {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Minute
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=/nonexistent", "LANG=C.UTF-8"}, env...)
	if as != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: as.UID, Gid: as.GID}}
	}
	s := &Server{out: &lockedBuffer{}, stderr: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	cmd.Stderr = s.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	old := syscall.Umask(0o022)
	err = cmd.Start()
	syscall.Umask(old)
	if err != nil {
		tb.Fatalf("starting %s: %v", bin, err)
	}
	s.proc = cmd.Process
	found := make(chan struct{})
	go func() {
		s.readStdout(stdout, found)
		err := cmd.Wait()
		if errors.Is(err, context.Canceled) {
			err = nil // exited cleanly after our SIGTERM
		}
		s.done <- err
	}()
	select {
	case <-found:
	case err := <-s.done:
		tb.Fatalf("%s exited: %v\nstdout:\n%s\nstderr:\n%s", bin, err, s.out, s.stderr)
	case <-time.After(3 * time.Minute):
		cancel()
		select { // stopped before the test's directories are removed
		case <-s.done:
		case <-time.After(time.Minute):
		}
		tb.Fatalf("%s did not start\nstdout:\n%s\nstderr:\n%.5000s", bin, s.out, s.stderr)
	}
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-s.done:
			if err != nil {
				tb.Errorf("after SIGTERM the server exited with %v\nstderr:\n%.3000s", err, s.stderr)
			}
		case <-time.After(2 * time.Minute):
			tb.Errorf("server did not stop within two minutes of SIGTERM")
		}
	})
	// Generous: a replica's first copy of a 10,000-story site from the
	// bucket takes minutes on a loaded 2-core machine.
	if err := WaitHealthy(s.URL, 20*time.Minute); err != nil {
		tb.Fatalf("%v\nstderr:\n%.5000s", err, s.stderr)
	}
	return s
}

// PID is the process id of a server started by RunBinary, 0 for one
// running in this process: its /proc/PID/status tells its memory alone.
func (s *Server) PID() int {
	if s.proc == nil {
		return 0
	}
	return s.proc.Pid
}

// Kill ends a server started by RunBinary with SIGKILL, as a crash or the
// OOM killer would: nothing is flushed, no lease released.
func (s *Server) Kill(tb testing.TB) {
	tb.Helper()
	if s.proc == nil {
		tb.Fatal("Kill: not a server started by RunBinary")
	}
	if err := s.proc.Kill(); err != nil {
		tb.Fatalf("kill: %v", err)
	}
	select {
	case <-s.done:
		s.done <- nil // the cleanup finds it stopped
	case <-time.After(time.Minute):
		tb.Fatal("killed server did not exit")
	}
}
