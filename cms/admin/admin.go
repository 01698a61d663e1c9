// Package admin serves the admin web UI: a single-page app whose compiled
// assets (cms/admin/dist, built from cms/admin/ui with npm) are embedded into
// the binary. A binary built without them still runs and says how to build them.
package admin

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Handler serves the UI under the path it is mounted at (strip the /admin
// prefix first). Unknown paths get index.html so client-side routes work.
func Handler() http.Handler {
	root, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return handler(root)
}

func handler(root fs.FS) http.Handler {
	index, err := fs.ReadFile(root, "index.html")
	if err != nil {
		return http.HandlerFunc(notBuilt)
	}
	files := http.FileServer(http.FS(root))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if p != "" && p != "index.html" {
			if f, err := root.Open(p); err == nil {
				f.Close()
				if strings.HasPrefix(p, "assets/") {
					// Vite puts content hashes in asset names.
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				files.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(index)
	})
}

const notBuiltPage = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>管理后台尚未编译 · 惠民</title></head>
<body style="font:18px/1.7 system-ui,'PingFang SC','Microsoft YaHei',sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem">
<h1>管理后台尚未编译</h1>
<p>这个 huimin 程序在编译时没有包含管理后台的前端文件。请在代码仓库根目录运行：</p>
<pre style="background:#f3f3f3;padding:1rem">make run</pre>
<p>或分步执行 <code>make admin</code>（用 npm 编译前端）后再 <code>go build -o huimin .</code>。</p>
<p>管理接口（/api/v1/）和公开网站不受影响，可以正常使用。</p>
<hr><p lang="en">The admin UI was not compiled into this binary. Run <code>make run</code>, or <code>make admin</code> then <code>go build -o huimin .</code>.</p>
</body></html>`

func notBuilt(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(notBuiltPage))
}
