package site

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// buildBackoff are the pauses before each new try of a build that failed
// for want of disk space or write permission: such a build may succeed once
// an operator frees space or fixes a directory's owner, and a publish should
// not wait for the next change to go live.
var buildBackoff = []time.Duration{time.Second, 4 * time.Second, 16 * time.Second}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// diskFault is why a build could not write its files.
type diskFault int

const (
	noFault diskFault = iota
	diskFull
	notWritable
)

// faultOf classifies err. Hugo does not wrap every error it passes on, so
// the system's own wording is the fallback.
func faultOf(err error) diskFault {
	switch {
	case err == nil:
		return noFault
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) ||
		strings.Contains(err.Error(), syscall.ENOSPC.Error()):
		return diskFull
	case errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) ||
		strings.Contains(err.Error(), syscall.EACCES.Error()):
		return notWritable
	}
	return noFault
}

// retryable reports whether a failed build may succeed if tried again: a
// disk fault, or a copy to the bucket that failed (the bucket may be back).
func retryable(err error) bool {
	if _, ok := errors.AsType[*mirrorError](err); ok {
		return true
	}
	return faultOf(err) != noFault
}

// faultMessage names a disk fault for staff and operators, or returns ""
// for other errors. The directory is given relative to the data directory.
func (s *Site) faultMessage(err error) string {
	switch faultOf(err) {
	case diskFull:
		return "磁盘空间不足，网站未能更新：请清理数据目录所在磁盘后重新生成"
	case notWritable:
		dir := "site/builds"
		var pe *fs.PathError
		if errors.As(err, &pe) {
			dir = s.dataRel(filepath.Dir(pe.Path))
		}
		return "没有写入权限，网站未能更新：请检查目录 " + dir + " 的所有者和权限（运行 huimin 的用户须能写入）"
	}
	return ""
}

// dataRel returns name relative to the data directory when it lies within it.
func (s *Site) dataRel(name string) string {
	data := filepath.Dir(s.dir)
	if rel, err := filepath.Rel(data, name); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return name
}
