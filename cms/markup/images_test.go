package markup

import (
	"reflect"
	"strings"
	"testing"
)

func TestImages(t *testing.T) {
	body := `<p>一</p><IMG SRC=" /media/a.jpg " alt='老人 &amp; 志愿者' data-media-id="12">` +
		`<!-- <img src="/commented.jpg"> --><img src=/bare.jpg><img alt="" src="data:image/png;base64,AAAA" data-media-id="x"/>` +
		`<script>var s = '<img src="/in-script.jpg">'</script><img>`
	got := Images(body)
	want := []Image{
		{Src: "/media/a.jpg", Alt: "老人 & 志愿者", HasAlt: true, MediaID: 12, HasMediaID: true},
		{Src: "/bare.jpg"},
		{Src: "data:image/png;base64,AAAA", HasAlt: true, HasMediaID: true},
		{},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Images:\n got %+v\nwant %+v", got, want)
	}
	if Images(`<p>no pictures</p>`) != nil {
		t.Error("Images of a body without pictures is not nil")
	}
}

func TestMediaIDs(t *testing.T) {
	body := `<figure data-media-id="3"><img data-media-id="3" src="/a.jpg"></figure><img data-media-id='7'><img data-media-id="-1"><img data-media-id="99999999999999999999"><p data-media-id="3">`
	if got, want := MediaIDs(body), []int64{3, 7}; !reflect.DeepEqual(got, want) {
		t.Errorf("MediaIDs = %v, want %v", got, want)
	}
	if MediaIDs("<p>x</p>") != nil {
		t.Error("MediaIDs of a body without media is not nil")
	}
}

func TestLinks(t *testing.T) {
	body := `<a href=" /stories/a/ ">甲</a><A HREF='/s/about/?a=1&amp;b=2'>乙</A><a name="x">丙</a><a href="">丁</a>`
	if got, want := Links(body), []string{"/stories/a/", "/s/about/?a=1&b=2", ""}; !reflect.DeepEqual(got, want) {
		t.Errorf("Links = %q, want %q", got, want)
	}
}

func TestRewriteImages(t *testing.T) {
	t.Run("unchanged body is returned as it is", func(t *testing.T) {
		body := `<p class=x>文 &amp; <b>字</b></p><!-- c --><img src='/a.jpg' alt=甲 /><br/>&nbsp;<script>if (a<b) {}</script>`
		got := RewriteImages(body, func(*Tag) string { return "" })
		if got != body {
			t.Errorf("got %q, want the input", got)
		}
	})
	t.Run("edited tags only", func(t *testing.T) {
		body := `<p>一</p><img src="/old.jpg" alt="合影" width=10 data-media-id="5"><p>二</p><img src="/keep.jpg" alt='它'>`
		got := RewriteImages(body, func(tag *Tag) string {
			if !tag.Has("data-media-id") {
				return ""
			}
			tag.Del("width")
			tag.Prepend(Attr{"src", "/new.jpg?a=1&b=2"}, Attr{"srcset", `/n.jpg 480w`})
			return tag.String()
		})
		want := `<p>一</p><img src="/new.jpg?a=1&amp;b=2" srcset="/n.jpg 480w" alt="合影" data-media-id="5"><p>二</p><img src="/keep.jpg" alt='它'>`
		if got != want {
			t.Errorf("\n got %s\nwant %s", got, want)
		}
	})
	t.Run("attribute values are escaped", func(t *testing.T) {
		got := RewriteImages(`<img alt='说"好"<b>'>`, func(tag *Tag) string { return tag.String() })
		if want := `<img alt="说&#34;好&#34;&lt;b&gt;">`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	t.Run("self-closing kept", func(t *testing.T) {
		got := RewriteImages(`<img src="/a.jpg"/>`, func(tag *Tag) string { return tag.String() })
		if want := `<img src="/a.jpg" />`; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
}

func TestRewrite(t *testing.T) {
	page := `<!DOCTYPE html><html><HEAD lang=zh><link rel="stylesheet" href="/css/a.css"></head><body class="p">x</body></html>`
	got := Rewrite(page, func(tag *Tag) string {
		switch tag.Name {
		case "head":
			return tag.Raw + `<meta name="robots" content="noindex">`
		case "link":
			if rel, _ := tag.Get("rel"); rel == "stylesheet" {
				return "<style>a{}</style>"
			}
		}
		return ""
	})
	want := `<!DOCTYPE html><html><HEAD lang=zh><meta name="robots" content="noindex"><style>a{}</style></head><body class="p">x</body></html>`
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestWalk_RoundTrip(t *testing.T) {
	// Broken markup pasted from other editors must survive a rewrite that
	// changes nothing, byte for byte.
	for _, s := range []string{
		``, `<`, `<img`, `<img src="a`, `a < b > c`, `<p>未闭合`, "<p>\x00</p>", `</p></div>`,
		`<img src="/a.jpg" alt="x"` + strings.Repeat("<b>", 100), `<textarea><img src=x></textarea>`,
	} {
		if got := Rewrite(s, func(t *Tag) string { return t.Raw }); got != s {
			t.Errorf("Rewrite(%q) = %q", s, got)
		}
	}
}
