package site

import (
	"os"
	"path/filepath"
	"testing"
)

// The preview marks its page and inlines its stylesheet by walking the
// HTML: a <header> is not the <head>, and "<body>" in a script is text.
func TestMarkPreview(t *testing.T) {
	t.Parallel()
	public := t.TempDir()
	if err := os.MkdirAll(filepath.Join(public, "css"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(public, "css", "main.min.abc.css"), []byte("p{color:red}/*</x>*/"), 0o644); err != nil {
		t.Fatal(err)
	}
	page := `<!doctype html><html><HEAD><link rel=stylesheet href=/css/main.min.abc.css><link rel="icon" href="/x.png">` +
		`<script>var s = "<body>";</script></HEAD><body class=a><header>h</header><p>x</p></body></html>`
	got := string(markPreview(inlineStyles([]byte(page), public), 7))
	want := `<!doctype html><html><HEAD>` + "\n" + `<meta name="robots" content="noindex, nofollow">` +
		`<style>p{color:red}/*<\/x>*/</style><link rel="icon" href="/x.png">` +
		`<script>var s = "<body>";</script></HEAD><body class=a>` + "\n" +
		`<p class="preview-note" role="note" style="margin:0;padding:.5em 1em;background:#fff3cd;color:#5c4400;text-align:center">预览：第7版，尚未发布，仅供审核</p>` +
		`<header>h</header><p>x</p></body></html>`
	if got != want {
		t.Errorf("preview page:\n got %s\nwant %s", got, want)
	}
	if got := string(markPreview([]byte(`<p>no head</p>`), 1)); got != `<meta name="robots" content="noindex, nofollow">`+"\n<p>no head</p>" {
		t.Errorf("page without head: %s", got)
	}
}
