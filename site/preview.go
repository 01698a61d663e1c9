package site

import (
	"context"
	"fmt"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/markup"
)

var _ cms.Previewer = (*Site)(nil)

// previewConfig keeps a preview build to the one page wanted: no feeds,
// sitemap or robots.txt.
const previewConfig = `disableKinds = ["rss", "sitemap", "robotstxt", "404"]
`

// PreviewStory renders ls, a version that need not be live, with the real
// theme and templates and returns its page. It builds a one-story Hugo site
// in a temporary directory next to the real one, with the same settings and
// navigation, so nothing of the public site changes; the stylesheet is
// inlined so the page shows right whatever build is live. The page carries
// <meta name="robots" content="noindex"> and a note that it is a preview.
func (s *Site) PreviewStory(ctx context.Context, ls *cms.LiveStory) (page []byte, err error) {
	defer cms.Wrap(&err, "site.PreviewStory(%d, v%d)", ls.ID, ls.Version)
	ctx = s.scope(ctx)
	proj, err := s.previewProject()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.path("preview"), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(s.path("preview"), "p-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	story := *ls
	if !cms.SlugPattern.MatchString(story.Slug) {
		story.Slug = "preview"
	}
	content := filepath.Join(tmp, "content")
	settings, err := s.cfg.Settings.FindSettings(ctx)
	if err != nil {
		return nil, err
	}
	if err := writeContent(content, "_index.html", homeFront{Title: siteTitle(settings)}, ""); err != nil {
		return nil, err
	}
	if err := writeContent(content, "stories/_index.html", sectionFront{Title: "全部稿件"}, ""); err != nil {
		return nil, err
	}
	// The story as the export writes it, without links to other stories
	// and without the redirects of its old slugs.
	storyFile := "stories/" + strconv.FormatInt(story.ID, 10) + ".html"
	if err := writeContent(content, storyFile, storyFrontOf(&story, nil), story.Body); err != nil {
		return nil, err
	}

	overlay, err := s.previewOverlay(ctx, settings, content)
	if err != nil {
		return nil, err
	}
	overlayFile, extraFile := filepath.Join(tmp, overlayName), filepath.Join(tmp, "preview.toml")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(extraFile, []byte(previewConfig), 0o644); err != nil {
		return nil, err
	}
	cfgFile, err := projectConfig(proj)
	if err != nil {
		return nil, err
	}
	out := filepath.Join(tmp, "public")
	if _, err := runHugo(hugoRun{
		proj: proj, configFiles: []string{cfgFile, overlayFile, extraFile}, outDir: out,
		resourceDir: filepath.Join(tmp, "resources"), cacheDir: filepath.Join(tmp, "cache"), log: s.log,
	}); err != nil {
		return nil, err
	}
	page, err = os.ReadFile(filepath.Join(out, "stories", story.Slug, "index.html"))
	if err != nil {
		return nil, fmt.Errorf("the theme rendered no story page: %w", err)
	}
	page = inlineStyles(page, out)
	return markPreview(page, ls.Version), nil
}

// sweepPreviews removes what previews older than before left behind: a
// preview takes seconds and removes its directory, unless the process was
// killed during one.
func (s *Site) sweepPreviews(before time.Time) {
	dirs, _ := os.ReadDir(s.path("preview"))
	for _, d := range dirs {
		if info, err := d.Info(); err == nil && info.ModTime().Before(before) {
			if err := os.RemoveAll(filepath.Join(s.path("preview"), d.Name())); err != nil {
				s.log.Warn("removing an old preview", "dir", d.Name(), "err", err)
			}
		}
	}
}

// previewProject returns the Hugo project directory, extracting it under
// the build lock only if no build has done so yet: a preview must not wait
// for a running build.
func (s *Site) previewProject() (string, error) {
	dir, err := s.projectDir()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	unlock, err := s.lock.Lock()
	if err != nil {
		return "", err
	}
	defer unlock()
	return s.project()
}

// previewOverlay is the site's config overlay with the preview's content.
func (s *Site) previewOverlay(ctx context.Context, settings *cms.Settings, content string) ([]byte, error) {
	projects, err := s.findProjects(ctx)
	if err != nil {
		return nil, err
	}
	pages, err := s.cfg.Pages.FindPages(ctx)
	if err != nil {
		return nil, err
	}
	var nav []navPage
	for _, p := range pages {
		if cms.SlugPattern.MatchString(p.Slug) && !cms.ReservedPageSlug(p.Slug) {
			nav = append(nav, navPage{Title: p.Title, URL: cms.PageURL(p.Slug)})
		}
	}
	ov, err := s.overlayConfig(settings, projects, nav)
	if err != nil {
		return nil, err
	}
	for i, m := range ov.Module.Mounts {
		if m.Target == "content" {
			ov.Module.Mounts[i].Source = content
		}
	}
	return encodeOverlay(ov)
}

// inlineStyles replaces links to stylesheets the preview build wrote with
// the stylesheets themselves.
func inlineStyles(page []byte, public string) []byte {
	return []byte(markup.Rewrite(string(page), func(t *markup.Tag) string {
		rel, _ := t.Get("rel")
		href, ok := t.Get("href")
		if t.Name != "link" || !ok || !slices.Contains(strings.Fields(strings.ToLower(rel)), "stylesheet") {
			return ""
		}
		name := filepath.Base(href)
		var css []byte
		_ = filepath.WalkDir(public, func(p string, d fs.DirEntry, err error) error {
			if err == nil && css == nil && !d.IsDir() && d.Name() == name {
				css, _ = os.ReadFile(p)
			}
			return nil
		})
		if css == nil {
			return ""
		}
		return "<style>" + strings.ReplaceAll(string(css), "</", `<\/`) + "</style>"
	}))
}

// markPreview keeps search engines away and tells readers what they see.
func markPreview(page []byte, version int) []byte {
	const robots = "<meta name=\"robots\" content=\"noindex, nofollow\">"
	note := "\n<p class=\"preview-note\" role=\"note\" style=\"margin:0;padding:.5em 1em;background:#fff3cd;color:#5c4400;text-align:center\">" +
		html.EscapeString("预览：第"+strconv.Itoa(version)+"版，尚未发布，仅供审核") + "</p>"
	head, body := false, false
	out := markup.Rewrite(string(page), func(t *markup.Tag) string {
		switch {
		case t.Name == "head" && !head:
			head = true
			return t.Raw + "\n" + robots
		case t.Name == "body" && !body:
			body = true
			return t.Raw + note
		}
		return ""
	})
	if !head {
		out = robots + "\n" + out
	}
	return []byte(out)
}
