package site

import (
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/afero"
)

// outputRecorder is the file system Hugo publishes pages and assets to,
// wrapped to note every file written and, for HTML pages, the assets they
// refer to. An asset Hugo made for one page only (a story's QR code) must go
// when that page goes, as a full build would not write it; an asset every
// page uses must stay.
type outputRecorder struct {
	afero.Fs
	basePath string // path of the site's base URL, "/" usually

	// yield, if set, is called before each file is opened for writing:
	// the build's slot yielding to incremental builds (platform.go).
	yield func()

	mu      sync.Mutex
	written map[string]bool     // slash paths below the publish directory
	refs    map[string][]string // HTML page → site paths of assets it refers to
}

func newOutputRecorder(fs afero.Fs, basePath string) *outputRecorder {
	return &outputRecorder{Fs: fs, basePath: basePath, written: map[string]bool{}, refs: map[string][]string{}}
}

func (r *outputRecorder) Create(name string) (afero.File, error) {
	r.pause()
	f, err := r.Fs.Create(name)
	if err != nil {
		return nil, err
	}
	return r.wrap(name, f), nil
}

func (r *outputRecorder) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		r.pause()
	}
	f, err := r.Fs.OpenFile(name, flag, perm)
	if err != nil || flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		return f, err
	}
	return r.wrap(name, f), nil
}

func (r *outputRecorder) pause() {
	if r.yield != nil {
		r.yield()
	}
}

func (r *outputRecorder) wrap(name string, f afero.File) afero.File {
	rel := strings.TrimPrefix(filepath.ToSlash(filepath.Clean(name)), "/")
	return &recordedFile{File: f, r: r, rel: rel, html: path.Ext(rel) == ".html"}
}

func (r *outputRecorder) done(rel string, html bool, refs []string) {
	slices.Sort(refs)
	refs = slices.Compact(refs)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.written[rel] = true
	if html {
		r.refs[rel] = refs
	}
}

// recordedFile scans an HTML page for asset URLs as it is written. Hugo
// writes a page in one go; a URL split between two writes is found in the
// window around the seam.
type recordedFile struct {
	afero.File
	r    *outputRecorder
	rel  string
	html bool
	refs []string
	tail []byte // the end of the last write
}

const seam = 256

func (f *recordedFile) scan(p []byte) {
	if !f.html || len(p) == 0 {
		return
	}
	f.refs = append(f.refs, assetRefs(p, f.r.basePath)...)
	if len(f.tail) > 0 {
		window := append(f.tail, p[:min(seam, len(p))]...)
		f.refs = append(f.refs, assetRefs(window, f.r.basePath)...)
	}
	f.tail = append(f.tail[:0], p[max(0, len(p)-seam):]...)
}

func (f *recordedFile) Write(p []byte) (int, error) {
	f.scan(p)
	return f.File.Write(p)
}

func (f *recordedFile) WriteString(s string) (int, error) {
	f.scan([]byte(s))
	return f.File.WriteString(s)
}

func (f *recordedFile) Close() error {
	f.r.done(f.rel, f.html, f.refs)
	return f.File.Close()
}

// assetExts are the extensions of files a page loads or links as assets.
var assetExts = map[string]bool{
	"png": true, "jpg": true, "jpeg": true, "gif": true, "webp": true, "avif": true, "svg": true,
	"ico": true, "css": true, "js": true, "mjs": true, "woff": true, "woff2": true, "pdf": true,
}

// assetRefs returns the paths (below the publish directory) of the assets an
// HTML page refers to: URLs in it, absolute or site-relative, that end in an
// asset file extension.
func assetRefs(b []byte, basePath string) []string {
	var out []string
	isDelim := func(c byte) bool {
		switch c {
		case '"', '\'', ' ', '\t', '\n', '\r', ',', '(', ')', '=', '<', '>', '?', '#':
			return true
		}
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '.' {
			continue
		}
		j := i + 1
		for j < len(b) && j-i <= 6 && (b[j] >= 'a' && b[j] <= 'z' || b[j] >= '0' && b[j] <= '9') {
			j++
		}
		if j-i < 3 || (j < len(b) && !isDelim(b[j])) || !assetExts[string(b[i+1:j])] {
			continue
		}
		start := i
		for start > 0 && !isDelim(b[start-1]) {
			start--
		}
		u := string(b[start:j])
		if k := strings.Index(u, "://"); k >= 0 {
			u = u[k+3:]
			if k := strings.IndexByte(u, '/'); k >= 0 {
				u = u[k:]
			} else {
				continue
			}
		} else if strings.HasPrefix(u, "//") {
			continue
		}
		if !strings.HasPrefix(u, "/") {
			continue
		}
		u = "/" + strings.TrimPrefix(u, basePath)
		if un, err := url.PathUnescape(u); err == nil {
			u = un
		}
		out = append(out, strings.TrimPrefix(path.Clean(u), "/"))
		i = j
	}
	return out
}
