package site

import (
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// Cache lifetimes. Fingerprinted assets never change under their name; pages
// change on every publish, so browsers may keep them only briefly.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cachePage      = "public, max-age=60"
	cacheOther     = "public, max-age=3600"
)

// fingerprinted matches names Hugo's fingerprint gives: main.<sha256>.css.
var fingerprinted = regexp.MustCompile(`\.[0-9a-f]{32,64}\.[a-z0-9]+$`)

// contentTypes fixes the types of what a Hugo build writes, independent of
// the machine's mime.types.
var contentTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".mjs":         "text/javascript; charset=utf-8",
	".json":        "application/json",
	".xml":         "application/xml; charset=utf-8",
	".txt":         "text/plain; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".ico":         "image/x-icon",
	".woff2":       "font/woff2",
	".webmanifest": "application/manifest+json",
	".pdf":         "application/pdf",
}

// Handler serves the latest good build: index.html for directories, the
// site's 404.html with status 404 for anything missing, no directory
// listings, and cache headers by kind of file. Before the first good build
// it answers 503.
func (s *Site) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Site) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	out := s.current()
	if out == nil {
		w.Header().Set("Retry-After", "5")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(unavailablePage))
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")

	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	name := path.Clean(p)
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") {
			s.notFound(w, r, out)
			return
		}
	}
	full := filepath.Join(out.dir, filepath.FromSlash(name))
	fi, err := os.Stat(full)
	if err == nil && fi.IsDir() {
		if !strings.HasSuffix(p, "/") {
			u := *r.URL
			u.Path = p + "/"
			http.Redirect(w, r, u.RequestURI(), http.StatusMovedPermanently)
			return
		}
		full = filepath.Join(full, "index.html")
		fi, err = os.Stat(full)
	} else if err == nil && strings.HasSuffix(p, "/") {
		err = os.ErrNotExist // a file asked for as a directory
	}
	if err != nil || fi.IsDir() {
		s.notFound(w, r, out)
		return
	}
	f, err := os.Open(full)
	if err != nil {
		s.notFound(w, r, out)
		return
	}
	defer f.Close()
	setTypeAndCache(w.Header(), full)
	http.ServeContent(w, r, full, fi.ModTime(), f)
}

// contentType is the type of files with extension ext (lower case), or
// "" when neither contentTypes nor the machine knows it.
func contentType(ext string) string {
	if ct := contentTypes[ext]; ct != "" {
		return ct
	}
	return mime.TypeByExtension(ext)
}

func setTypeAndCache(h http.Header, name string) {
	ext := strings.ToLower(filepath.Ext(name))
	if ct := contentType(ext); ct != "" {
		h.Set("Content-Type", ct)
	}
	switch {
	case fingerprinted.MatchString(name):
		h.Set("Cache-Control", cacheImmutable)
	case ext == ".html" || ext == ".xml" || ext == ".txt" || ext == ".json":
		h.Set("Cache-Control", cachePage)
	default:
		h.Set("Cache-Control", cacheOther)
	}
}

func (s *Site) notFound(w http.ResponseWriter, r *http.Request, out *output) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", cachePage)
	b, err := os.ReadFile(filepath.Join(out.dir, "404.html"))
	if err != nil {
		b = []byte(notFoundPage)
	}
	w.WriteHeader(http.StatusNotFound)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

const notFoundPage = `<!DOCTYPE html><html lang="zh-CN"><meta charset="utf-8"><title>页面不存在</title><p>页面不存在。<a href="/">返回首页</a></p></html>`

const unavailablePage = `<!DOCTYPE html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>网站正在生成</title><p>网站正在生成，请稍后刷新。</p></html>`
