package site

import (
	"bytes"
	"encoding/xml"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/huimin/huimin/cms"
)

// The sitemap is a sitemap index, sitemap.xml, and its parts: the home,
// section, project, tag and standing pages in sitemap-pages.xml, and the
// stories by id, sitemapStories to a part (sitemap-stories-<k>.xml holds
// ids k*sitemapStories up to the next part). A publish so rewrites the
// index and two small parts, not one file listing every story as Hugo's
// sitemap would.

const sitemapStories = 1000

type sitemapURL struct {
	loc     string // site path
	lastmod time.Time
	id      int64 // stories only
}

// sitemaps returns the sitemap files, by path below the site root.
func sitemaps(set *cms.Settings, d *derived) map[string][]byte {
	base := strings.TrimSpace(set.BaseURL)
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	files := map[string][]byte{}
	type part struct {
		name    string
		lastmod time.Time
	}
	var parts []part
	add := func(name string, urls []sitemapURL) {
		var b bytes.Buffer
		b.WriteString(xml.Header)
		b.WriteString(`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
		var last time.Time
		for _, u := range urls {
			writeEntry(&b, "url", base+escapePath(strings.TrimPrefix(u.loc, "/")), u.lastmod)
			if u.lastmod.After(last) {
				last = u.lastmod
			}
		}
		b.WriteString("</urlset>\n")
		files[name] = b.Bytes()
		parts = append(parts, part{name, last})
	}
	add("sitemap-pages.xml", d.urls)
	for lo := 0; lo < len(d.stories); {
		k := d.stories[lo].id / sitemapStories
		hi := lo
		for hi < len(d.stories) && d.stories[hi].id/sitemapStories == k {
			hi++
		}
		add("sitemap-stories-"+strconv.FormatInt(k, 10)+".xml", d.stories[lo:hi])
		lo = hi
	}

	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
	for _, p := range parts {
		writeEntry(&b, "sitemap", base+p.name, p.lastmod)
	}
	b.WriteString("</sitemapindex>\n")
	files["sitemap.xml"] = b.Bytes()
	return files
}

// writeEntry writes one <url> or <sitemap> element.
func writeEntry(b *bytes.Buffer, elem, loc string, lastmod time.Time) {
	b.WriteString("  <" + elem + "><loc>")
	xml.EscapeText(b, []byte(loc))
	b.WriteString("</loc>")
	if !lastmod.IsZero() {
		b.WriteString("<lastmod>" + lastmod.In(chinaTime).Format(time.RFC3339) + "</lastmod>")
	}
	b.WriteString("</" + elem + ">\n")
}

// escapePath percent-encodes each segment of a site path.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
