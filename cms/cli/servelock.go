package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockServe makes sure only one `huimin serve` uses a data directory whose
// database is SQLite. Two would each run a scheduler and a builder on one
// file; several servers need MySQL, where replicas elect one builder
// (--replica). `huimin build` and `huimin import` may still run beside the
// server: they take the site's build lock. The lock is an flock on
// <data>/serve.lock, released by the kernel however the process ends.
func lockServe(data string) (unlock func(), err error) {
	name := filepath.Join(data, "serve.lock")
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("serve lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(name)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid := strings.TrimSpace(string(holder))
			if pid == "" {
				pid = "?"
			}
			return nil, fmt.Errorf("数据目录 %s 已有一个 huimin serve 在运行（进程 %s）：SQLite 数据库只允许一个服务进程；要运行多个副本，请使用 MySQL（--db mysql://…）并为每个副本指定 --replica", data, pid)
		}
		return nil, fmt.Errorf("serve lock: %w", err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil
}
