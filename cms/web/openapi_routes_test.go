package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
)

// TestOpenAPI_CoversRoutes compares the registered routes with the
// document's paths, both ways: every route of the API (/api/, /healthz,
// /media/) must be described, and every operation the document describes
// must be served.
func TestOpenAPI_CoversRoutes(t *testing.T) {
	t.Parallel()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	s := New(Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	served := map[string]bool{}
	for _, r := range s.engine.Routes() {
		switch {
		case r.Method == "HEAD" || r.Method == "OPTIONS":
			continue
		case !strings.HasPrefix(r.Path, "/api/") && r.Path != "/healthz" && !strings.HasPrefix(r.Path, "/media/"):
			continue // the site, the admin UI, previews: not part of the API
		}
		path := param.ReplaceAllString(r.Path, "{$1}")
		method := strings.ToLower(r.Method)
		served[method+" "+path] = true
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("%s %s is not in openapi.json", r.Method, path)
		}
	}
	for path, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "patch":
				if !served[method+" "+path] {
					t.Errorf("openapi.json describes %s %s, which is not a route", strings.ToUpper(method), path)
				}
			}
		}
	}
}
