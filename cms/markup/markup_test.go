package markup

import (
	"strings"
	"testing"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		keep    []string
		dropped []string
	}{
		{"script", `<p>你好</p><script>alert(1)</script>`, []string{"<p>你好</p>"}, []string{"<script", "alert"}},
		{"event handler", `<img src="/media/a.jpg" alt="图" onerror="alert(1)">`, []string{`src="/media/a.jpg"`, `alt="图"`}, []string{"onerror"}},
		{"javascript url", `<a href="javascript:alert(1)">点我</a><a href="JaVaScRiPt:alert(2)">再点</a>`, []string{"点我"}, []string{"javascript:", "JaVaScRiPt"}},
		{"iframe and form", `<iframe src="https://x.example"></iframe><form action="/x"><input name="a"></form><p>正文</p>`, []string{"<p>正文</p>"}, []string{"<iframe", "<form", "<input"}},
		{"style tricks", `<p style="position:fixed;top:0" class="rich_media_content">文</p><style>body{display:none}</style>`, []string{"<p>文</p>"}, []string{"style", "class", "display"}},
		{"structure kept", `<h2>一、活动概况</h2><ul><li>甲</li></ul><blockquote>引文</blockquote><table><tr><th scope="col">项目</th><td colspan="2">数</td></tr></table><figure><img src="/m.jpg" alt="合影"><figcaption>合影留念</figcaption></figure>`,
			[]string{"<h2>", "<ul><li>甲</li></ul>", "<blockquote>", "<table>", `<th scope="col">`, `colspan="2"`, "<figcaption>合影留念</figcaption>"}, nil},
		{"h1 demoted", `<h1>标题</h1>`, []string{"<h2>标题</h2>"}, []string{"<h1"}},
		{"external link nofollow", `<a href="https://www.gov.cn/">政府网</a>`, []string{`href="https://www.gov.cn/"`, `rel="nofollow"`}, nil},
		{"wechat empty paragraphs", `<p>一</p><p><br></p><p>&nbsp;</p><p>二</p>`, []string{"<p>一</p><p>二</p>"}, nil},
		{"svg", `<svg onload="alert(1)"><script>x</script></svg><p>留</p>`, []string{"<p>留</p>"}, []string{"svg", "onload"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sanitize(tt.in)
			for _, k := range tt.keep {
				if !strings.Contains(got, k) {
					t.Errorf("Sanitize(%q) = %q, want it to contain %q", tt.in, got, k)
				}
			}
			for _, d := range tt.dropped {
				if strings.Contains(got, d) {
					t.Errorf("Sanitize(%q) = %q, must not contain %q", tt.in, got, d)
				}
			}
		})
	}
}

func TestText(t *testing.T) {
	got := Text(`<h2>标题</h2><p>第一段&amp;说明</p><p>第二段<br>换行</p>`)
	want := "标题\n第一段&说明\n第二段\n换行"
	if got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
}

func TestFoldSpace(t *testing.T) {
	got := FoldSpace(" 老人\u00a0\u00a0与 \t志愿者\n\n\n合影 ")
	if want := "老人 与 志愿者\n合影"; got != want {
		t.Errorf("FoldSpace() = %q, want %q", got, want)
	}
}
