package objstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/huimin/huimin/cms/objstore"
	"github.com/huimin/huimin/cms/objstore/objstoretest"
)

func TestStore_RoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := objstoretest.MustOpen(t)

	body := []byte("<!DOCTYPE html><title>首页</title>")
	o := objstore.PutOptions{ContentType: "text/html; charset=utf-8", CacheControl: "no-cache"}
	if err := s.Put(ctx, "site/index.html", bytes.NewReader(body), int64(len(body)), o); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadAll(ctx, "site/index.html")
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("ReadAll = %q, %v; want %q", got, err, body)
	}
	info, err := s.Stat(ctx, "site/index.html")
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(body)) || info.ContentType != o.ContentType || info.CacheControl != o.CacheControl {
		t.Errorf("Stat = %+v, want size %d and %+v", info, len(body), o)
	}

	// Replacing is one PUT; the new bytes are read back.
	body2 := []byte("<!DOCTYPE html><title>新首页</title>")
	if err := s.Put(ctx, "site/index.html", bytes.NewReader(body2), int64(len(body2)), o); err != nil {
		t.Fatal(err)
	}
	rc, info, err := s.Get(ctx, "site/index.html")
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, body2) || info.Size != int64(len(body2)) {
		t.Errorf("Get after replace = %q (%d bytes)", got, info.Size)
	}

	// A reader of the bucket (nginx, a CDN) gets the headers the object was put with.
	resp, err := http.Get(objectURL(t, s, "site/index.html"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != o.ContentType || resp.Header.Get("Cache-Control") != o.CacheControl {
		t.Errorf("HTTP GET: %d, Content-Type %q, Cache-Control %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}

	for _, k := range []string{"site/a/1.css", "site/a/2.css", "media/x/w640.jpg", "sitemap.xml"} {
		if err := s.Put(ctx, k, strings.NewReader(k), int64(len(k)), objstore.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := objstoretest.Keys(t, s, "site/"), []string{"site/a/1.css", "site/a/2.css", "site/index.html"}; !slices.Equal(got, want) {
		t.Errorf("List(site/) = %q, want %q", got, want)
	}
	if got := objstoretest.Keys(t, s, ""); len(got) != 5 {
		t.Errorf("List() = %q, want 5 keys", got)
	}
	// A sub-store sees only its prefix, with keys relative to it.
	if got, want := objstoretest.Keys(t, s.Sub("site/a"), ""), []string{"1.css", "2.css"}; !slices.Equal(got, want) {
		t.Errorf("Sub(site/a).List() = %q, want %q", got, want)
	}

	if err := s.Delete(ctx, "site/a/1.css"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "site/a/1.css"); err != nil {
		t.Errorf("deleting a missing object: %v", err)
	}
	if _, err := s.ReadAll(ctx, "site/a/1.css"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("ReadAll after Delete: %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, "nothing/here"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Stat of a missing key: %v, want ErrNotFound", err)
	}
	if _, _, err := s.Get(ctx, "nothing/here"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Get of a missing key: %v, want ErrNotFound", err)
	}
	for _, k := range []string{"", "/abs", "a/../b", "dir/"} {
		if err := s.Put(ctx, k, strings.NewReader("x"), 1, objstore.PutOptions{}); err == nil {
			t.Errorf("Put(%q) accepted", k)
		}
	}
}

// TestOpen_CreatesBucket: a bucket that does not exist is made on Open.
func TestOpen_CreatesBucket(t *testing.T) {
	t.Parallel()
	ep := objstoretest.Endpoint(t)
	ctx := context.Background()
	bucket := "huimin-new-" + strings.ToLower(rand.Text()[:10])
	s, err := objstore.Open(ctx, "s3://"+bucket+"/p?endpoint="+url.QueryEscape(ep), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Test buckets would pile up in the server.
		objstoretest.Empty(t, s)
		u, _ := url.Parse(ep)
		c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4("", "", "")})
		if err == nil {
			err = c.RemoveBucket(ctx, bucket)
		}
		if err != nil {
			t.Logf("removing bucket %s: %v", bucket, err)
		}
	})
	if err := s.Put(ctx, "k", strings.NewReader("v"), 1, objstore.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	// Opening again finds it.
	if _, err := objstore.Open(ctx, "s3://"+bucket+"/p?endpoint="+url.QueryEscape(ep), os.Getenv); err != nil {
		t.Fatal(err)
	}
}

// TestOpen_Unreachable: a wrong endpoint is reported quickly, naming it.
func TestOpen_Unreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	start := time.Now()
	_, err = objstore.Open(context.Background(), "s3://huimin/x?endpoint=http://"+addr, os.Getenv)
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	if !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("error does not name the unreachable endpoint: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %v to report an unreachable endpoint", d)
	}
}

// TestOpen_HalfCredentials: one of the two keys alone is a mistake, said
// without repeating the key.
func TestOpen_HalfCredentials(t *testing.T) {
	t.Parallel()
	env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE"}
	_, err := objstore.Open(context.Background(), "s3://huimin/x?endpoint=http://127.0.0.1:1", func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "AWS_SECRET_ACCESS_KEY") || strings.Contains(err.Error(), "AKIDEXAMPLE") {
		t.Errorf("Open with half the credentials: %v", err)
	}
}

// objectURL is the plain HTTP address of key, as nginx or a CDN fetches it.
func objectURL(t *testing.T, s *objstore.Store, key string) string {
	l := s.Location()
	scheme := "http"
	if l.Secure {
		scheme = "https"
	}
	return scheme + "://" + l.Endpoint + "/" + l.Bucket + "/" + l.Prefix + key
}
