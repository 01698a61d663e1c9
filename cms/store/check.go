package store

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"gorm.io/gorm"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/wording"
)

var _ cms.CheckService = (*DB)(nil)

// CheckStory runs the wording and form checks on the story's working copy.
func (db *DB) CheckStory(ctx context.Context, id int64) (hits []cms.Hit, err error) {
	defer cms.Wrap(&err, "CheckStory(%d)", id)
	q := db.read(ctx)
	row, err := findStory(q, id)
	if err != nil {
		return nil, err
	}
	return checkStory(q, row)
}

// checkStory checks row with the dictionary and data as tx sees them, so
// that the gate in ApplyAction judges exactly the version it acts on.
func checkStory(tx *gorm.DB, row *storyRow) ([]cms.Hit, error) {
	dict, err := findTerms(tx)
	if err != nil {
		return nil, err
	}
	s := wording.Story{Title: row.Title, ShareTitle: row.ShareTitle, Summary: row.Summary, Body: row.Body}

	// The cover and the library images the body shows, each once.
	ids := []int64{}
	field := map[int64]string{}
	if row.CoverMediaID != nil {
		ids = append(ids, *row.CoverMediaID)
		field[*row.CoverMediaID] = "cover"
	}
	for _, img := range wording.BodyImages(row.Body) {
		if img.MediaID > 0 && field[img.MediaID] == "" {
			ids = append(ids, img.MediaID)
			field[img.MediaID] = fmt.Sprintf("media:%d", img.MediaID)
		}
	}
	if len(ids) > 0 {
		var media []mediaRow
		if err := tx.Select("id", "alt", "caption").Where("id IN ?", ids).Find(&media).Error; err != nil {
			return nil, err
		}
		byID := map[int64]mediaRow{}
		for _, m := range media {
			byID[m.ID] = m
		}
		for _, id := range ids {
			if m, ok := byID[id]; ok {
				s.Images = append(s.Images, wording.Image{Field: field[id], MediaID: id, Alt: m.Alt, HasAlt: m.Alt != "", Caption: m.Caption})
			}
		}
	}

	settings, err := findSettings(tx)
	if err != nil {
		return nil, err
	}
	host := ""
	if u, err := url.Parse(settings.BaseURL); err == nil {
		host = u.Host
	}
	links := wording.OwnLinksFor(row.Body, host)
	known := map[string]bool{}
	for _, l := range links {
		ok, err := ownPathExists(tx, l, row)
		if err != nil {
			return nil, err
		}
		known[l] = ok
	}
	s.Host = host
	hits := wording.Check(s, wording.NewMatcher(dict), func(p string) bool { return known[p] })
	// External links the background check found broken (issue 20).
	ext, err := brokenExternalLinks(tx, row.Body, host)
	if err != nil {
		return nil, err
	}
	hits = append(hits, ext...)
	if hits == nil {
		hits = []cms.Hit{}
	}
	return hits, nil
}

// ownPathExists reports whether a site path a story links to will resolve:
// a live story (also by an old slug, which redirects, or its short link),
// a project, or the story itself, which exists once it is published.
func ownPathExists(tx *gorm.DB, p string, self *storyRow) (bool, error) {
	section, name := wording.SplitOwnPath(p)
	if name == "" {
		return section == "stories" || section == "projects", nil
	}
	switch section {
	case "stories":
		if name == self.Slug {
			return true, nil
		}
		if ok, err := anyRow(tx.Model(&liveRow{}).Where("slug = ?", name)); err != nil || ok {
			return ok, err
		}
		return anyRow(tx.Model(&slugRow{}).Joins("JOIN story_live ON story_live.story_id = story_slugs.story_id").
			Where("story_slugs.slug = ?", name))
	case "s":
		id, err := strconv.ParseInt(name, 10, 64)
		if err != nil {
			return false, nil
		}
		if id == self.ID {
			return true, nil
		}
		return anyRow(tx.Model(&liveRow{}).Where("story_id = ?", id))
	case "projects":
		return anyRow(tx.Model(&projectRow{}).Where("slug = ?", name))
	}
	return true, nil
}
