// Package objstoretest gives tests their own prefix in a real S3-compatible
// server: the one HUIMIN_TEST_S3_ENDPOINT names (.ci/seaweedfs starts a
// SeaweedFS and prints its endpoint). Without it, tests that need one skip.
package objstoretest

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/huimin/huimin/cms/objstore"
)

// EnvEndpoint names the S3 endpoint tests use, e.g. http://127.0.0.1:8333.
const EnvEndpoint = "HUIMIN_TEST_S3_ENDPOINT"

// Bucket is the bucket tests share; each test has its own prefix in it.
const Bucket = "huimin-test"

// Endpoint returns the test S3 endpoint, skipping the test without one.
func Endpoint(tb testing.TB) string {
	tb.Helper()
	ep := os.Getenv(EnvEndpoint)
	if ep == "" {
		tb.Skipf("%s is not set: no S3-compatible server to test against (.ci/seaweedfs starts one)", EnvEndpoint)
	}
	return ep
}

// URL returns a storage URL for a fresh prefix named after the test. The
// objects under it are deleted when the test passes.
func URL(tb testing.TB) string {
	tb.Helper()
	ep := Endpoint(tb)
	prefix := Prefix(tb)
	u := "s3://" + Bucket + "/" + prefix + "?endpoint=" + url.QueryEscape(ep)
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("objects kept for inspection under s3://%s/%s at %s", Bucket, prefix, ep)
			return
		}
		if s, err := objstore.Open(context.Background(), u, os.Getenv); err == nil {
			Empty(tb, s)
		}
	})
	return u
}

// MustOpen opens a store on a fresh prefix (see URL).
func MustOpen(tb testing.TB) *objstore.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := objstore.Open(ctx, URL(tb), os.Getenv)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Prefix is a key prefix unique to this run of the test.
func Prefix(tb testing.TB) string {
	name := strings.Map(func(c rune) rune {
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
			return c
		}
		return '-'
	}, strings.ToLower(tb.Name()))
	name = strings.Trim(name, "-")
	return name[:min(len(name), 60)] + "-" + strings.ToLower(rand.Text()[:8])
}

// Empty deletes every object of s.
func Empty(tb testing.TB, s *objstore.Store) {
	tb.Helper()
	ctx := context.Background()
	for info, err := range s.List(ctx, "") {
		if err == nil {
			err = s.Delete(ctx, info.Key)
		}
		if err != nil {
			tb.Logf("emptying %s: %v", s, err)
			return
		}
	}
}

// Keys lists the keys of s below prefix.
func Keys(tb testing.TB, s *objstore.Store, prefix string) []string {
	tb.Helper()
	var keys []string
	for info, err := range s.List(context.Background(), prefix) {
		if err != nil {
			tb.Fatal(err)
		}
		keys = append(keys, info.Key)
	}
	return keys
}
