package cms

import (
	"context"
	"time"
)

// LiveStory is the published version of a story as readers see it: what the
// site is built from and what the content API serves.
type LiveStory struct {
	ID          int64      `json:"id"`
	Slug        string     `json:"slug"`
	Title       string     `json:"title"`
	ShareTitle  string     `json:"share_title"`
	Summary     string     `json:"summary"`
	Body        string     `json:"body"`
	Cover       *Media     `json:"cover"`
	Images      []*Media   `json:"images"` // media the body shows (data-media-id), in body order
	Project     ProjectRef `json:"project"`
	Tags        []string   `json:"tags"`
	Author      string     `json:"author"`
	Source      string     `json:"source"`
	Version     int        `json:"version"`
	PublishedAt time.Time  `json:"published_at"`
	UpdatedAt   time.Time  `json:"updated_at"` // when this version went live
	URL         string     `json:"url"`
	ShortURL    string     `json:"short_url"`
	// OldSlugs are slugs this story was published under before; their URLs redirect.
	OldSlugs []string `json:"-"`
}

// ProjectRef is the short form of a project embedded in stories.
type ProjectRef struct {
	ID   int64       `json:"id"`
	Slug string      `json:"slug"`
	Name string      `json:"name"`
	Kind ProjectKind `json:"kind"`
	Area Area        `json:"area"`
	URL  string      `json:"url"`
}

// ContentFilter selects live stories.
type ContentFilter struct {
	Project string // project slug
	Kind    ProjectKind
	Area    Area
	Tag     string
	Q       string
	Since   *time.Time
	Until   *time.Time
	Page
	// After, when set, starts the page right after that position instead
	// of at Page.Page (keyset paging for deep reads); Total still counts
	// every match.
	After *ContentCursor
}

// ContentService reads published content only: drafts, pending revisions
// and unpublished stories never come out of it.
type ContentService interface {
	// FindLiveStories returns a page of live stories, newest publication first, and the total.
	FindLiveStories(ctx context.Context, f ContentFilter) ([]*LiveStory, int, error)
	// FindLiveStoryBySlug returns ENOTFOUND unless a live story has that slug.
	FindLiveStoryBySlug(ctx context.Context, slug string) (*LiveStory, error)
	// EachLiveStory calls fn for every live story, in id order, without paging;
	// the site export uses it.
	EachLiveStory(ctx context.Context, fn func(*LiveStory) error) error
	// FindTags returns every tag used by a live story, with counts.
	FindTags(ctx context.Context) ([]*TagCount, error)
}

// TagCount is a tag and the number of live stories carrying it.
type TagCount struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}
