package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store"
)

// pocketBase is the peer program of bench/pocketbase serving the
// benchmark's stories.
type pocketBase struct {
	addr    string
	version string
	cmd     *exec.Cmd
}

// pocketBaseMissing says why there is no PocketBase to measure.
func pocketBaseMissing() string {
	if why := os.Getenv("HUIMIN_BENCH_POCKETBASE_MISSING"); why != "" {
		return why
	}
	return "HUIMIN_BENCH_POCKETBASE is not set (make bench builds the peer from bench/pocketbase)"
}

// startPocketBase exports the n live stories of db as the content API's
// story objects, one a line, loads them into a new PocketBase and waits
// until it serves. It returns nil when no peer program is configured.
func startPocketBase(b *testing.B, ctx context.Context, db *store.DB, n int) *pocketBase {
	bin := os.Getenv("HUIMIN_BENCH_POCKETBASE")
	if bin == "" {
		return nil
	}
	dir := b.TempDir()
	file := filepath.Join(dir, "stories.jsonl")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	written := 0
	for page := 1; written < n; page++ {
		items, _, err := db.FindLiveStories(ctx, cms.ContentFilter{Page: cms.Page{Page: page, PerPage: cms.MaxPerPage}})
		if err != nil {
			b.Fatal(err)
		}
		if len(items) == 0 {
			break
		}
		for _, st := range items {
			line, err := json.Marshal(st)
			if err != nil {
				b.Fatal(err)
			}
			w.Write(line)
			w.WriteByte('\n')
			written++
		}
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--dir", filepath.Join(dir, "pb_data"), "--stories", file, "--addr", addr)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatalf("start PocketBase: %v", err)
	}
	pb := &pocketBase{addr: addr, version: os.Getenv("HUIMIN_BENCH_POCKETBASE_VERSION"), cmd: cmd}
	for {
		if _, err := fetch(addr, "/api/health"); err == nil {
			break
		}
		if time.Since(start) > 3*time.Minute {
			pb.stop()
			b.Fatalf("PocketBase did not answer /api/health on %s", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Printf("PocketBase %s: %d stories loaded and serving in %s\n", pb.version, written, time.Since(start).Round(time.Millisecond))
	return pb
}

// storyPath is PocketBase's own fastest read of one story: the record by
// its id, looked up once from the slug (nil-safe: "" without a peer).
func (pb *pocketBase) storyPath(b *testing.B, slug string) string {
	if pb == nil {
		return ""
	}
	body, err := fetch(pb.addr, "/api/collections/stories/records?perPage=1&filter="+url.QueryEscape("slug='"+slug+"'"))
	if err != nil {
		b.Fatal(err)
	}
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &list); err != nil || len(list.Items) != 1 {
		b.Fatalf("PocketBase has no story %q: %v %.200s", slug, err, body)
	}
	return "/api/collections/stories/records/" + list.Items[0].ID
}

func (pb *pocketBase) stop() {
	pb.cmd.Process.Kill()
	pb.cmd.Wait()
}
