package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/huimin/huimin/cms/cli"
	"github.com/huimin/huimin/cms/cli/clitest"
	"github.com/huimin/huimin/cms/objstore"
	"github.com/huimin/huimin/cms/objstore/objstoretest"
)

// TestServe_Storage runs `serve --storage s3://...` against a real
// SeaweedFS: an upload's variants go to the bucket and are served from it,
// a focal-point change replaces the crop there, and a published story's
// page is in the bucket's copy of the site. The data directory keeps no
// media.
func TestServe_Storage(t *testing.T) {
	t.Parallel()
	u := objstoretest.URL(t)
	ctx := context.Background()
	bucket, err := objstore.Open(ctx, u, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	s := clitest.MustRunServe(t, "", "--demo=false", "--storage", u)
	token := s.Login(t, "admin", s.Password)

	code, m, _ := s.Upload(t, token, "photo.jpg", clitest.TestPhoto(t, 90))
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %v", code, m)
	}
	hash := m["hash"].(string)
	variants := m["variants"].([]any)
	if len(variants) == 0 {
		t.Fatalf("upload made no variants: %v", m)
	}
	serve := func(name string) []byte {
		t.Helper()
		return getBytes(t, s, "/media/"+hash+"/"+name+".jpg")
	}
	for _, v := range variants {
		name := v.(map[string]any)["name"].(string)
		stored, err := bucket.ReadAll(ctx, "media/"+hash+"/"+name+".jpg")
		if err != nil {
			t.Fatalf("variant %s not in the bucket: %v", name, err)
		}
		if !bytes.Equal(serve(name), stored) {
			t.Errorf("variant %s: the server answers other bytes than the bucket holds", name)
		}
	}
	if _, err := bucket.Stat(ctx, "private/media/"+hash+"/original"); err != nil {
		t.Errorf("original not in the bucket's private part: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Data, "media")); !os.IsNotExist(err) {
		t.Errorf("media written to the data directory: %v", err)
	}

	crop := serve("cover11")
	s.Must(t, http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/media/%v", m["id"]), token,
		map[string]any{"version": m["version"], "focus_x": 0.9, "focus_y": 0.1})
	stored, err := bucket.ReadAll(ctx, "media/"+hash+"/cover11.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(stored, crop) {
		t.Error("the crop in the bucket did not change with the focal point")
	}
	if !bytes.Equal(serve("cover11"), stored) {
		t.Error("the server answers another crop than the bucket holds")
	}

	p := s.Must(t, http.StatusCreated, "POST", "/api/v1/projects", token, map[string]any{
		"name": "银龄互助", "slug": "yinling", "kind": "volunteer", "area": "elderly", "summary": "低龄老人帮高龄老人",
	})
	st := s.Must(t, http.StatusCreated, "POST", "/api/v1/stories", token, map[string]any{
		"title": "对象存储里的重阳故事", "summary": "九九重阳", "body": "<p>志愿者上门陪伴独居老人。</p>", "project_id": p["id"],
	})
	pub := s.Act(t, token, clitest.Num(st["id"]), "publish", nil, http.StatusOK)
	s.WaitBuilt(t, token, pub["build_id"])
	key := "site" + pub["url"].(string) + "index.html"
	page, err := bucket.ReadAll(ctx, key)
	if err != nil {
		t.Fatalf("published story not in the bucket at %s: %v", key, err)
	}
	if !strings.Contains(string(page), "对象存储里的重阳故事") {
		t.Errorf("%s lacks the story's title", key)
	}
	home, err := bucket.ReadAll(ctx, "site/index.html")
	if err != nil || !strings.Contains(string(home), "对象存储里的重阳故事") {
		t.Errorf("the bucket's home page does not list the story: %v", err)
	}
	if strings.Contains(s.Stderr(), "AWS_SECRET") {
		t.Error("the log mentions credentials")
	}
}

// TestServe_StorageUnreachable: serve refuses to start on a bucket it
// cannot reach, naming the endpoint; a malformed URL names its wrong part.
func TestServe_StorageUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, c := range []struct{ storage, want string }{
		{"s3://huimin/site?endpoint=http://" + addr, addr},
		{"s3://huimin/site?endpiont=http://" + addr, `unknown parameter "endpiont"`},
		{"http://huimin/site", "scheme"},
	} {
		var stderr bytes.Buffer
		err := cli.Run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--storage", c.storage},
			func(string) string { return "" }, strings.NewReader(""), io.Discard, &stderr, clitest.Project(t))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("serve --storage %s: %v, want an error naming %q", c.storage, err, c.want)
		}
	}
}

// TestBuild_Storage: `huimin build --storage` publishes its build to the
// bucket and says so in live.json.
func TestBuild_Storage(t *testing.T) {
	t.Parallel()
	u := objstoretest.URL(t)
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	err := cli.Run(ctx, []string{"build", "--data", t.TempDir(), "--storage", u},
		func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr, clitest.Project(t))
	if err != nil {
		t.Fatalf("build: %v\n%s", err, stderr.String())
	}
	bucket, err := objstore.Open(ctx, u, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"site/index.html", "site/404.html", "private/site/live.json"} {
		if _, err := bucket.Stat(ctx, key); err != nil {
			t.Errorf("%s not in the bucket after huimin build: %v", key, err)
		}
	}
}
