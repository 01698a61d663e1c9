package cms

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Story is a 稿件: the working copy an editor changes, plus its workflow
// state. What readers see is the live revision (LiveRevision), which only a
// publish action changes, so editing a published story never alters the
// public page until the edit itself is approved and published.
type Story struct {
	ID           int64       `json:"id"`
	Slug         string      `json:"slug"`
	Title        string      `json:"title"`
	ShareTitle   string      `json:"share_title"`
	Summary      string      `json:"summary"`
	Body         string      `json:"body"` // sanitised HTML
	CoverMediaID *int64      `json:"cover_media_id"`
	ProjectID    int64       `json:"project_id"`
	Tags         []string    `json:"tags"`
	Author       string      `json:"author"`
	Source       string      `json:"source"`
	Status       StoryStatus `json:"status"`
	// ReviewStage is the review level (1..3) the story waits at while in review.
	ReviewStage int `json:"review_stage"`
	// Version increments on every saved change; updates must quote it.
	Version int `json:"version"`
	// LiveVersion is the version readers see; 0 when nothing is live.
	LiveVersion int `json:"live_version"`
	// PublishedAt is the date shown to readers (first publication, or imported).
	PublishedAt *time.Time `json:"published_at"`
	PublishAt   *time.Time `json:"publish_at"`
	UnpublishAt *time.Time `json:"unpublish_at"`
	URL         string     `json:"url"`
	ShortURL    string     `json:"short_url"`
	CreatedBy   int64      `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	// BuildID is set on responses to actions that trigger a site build.
	BuildID int64 `json:"build_id,omitempty"`
}

// StoryURL is the public site path of a story.
func StoryURL(slug string) string { return "/stories/" + slug + "/" }

// ShortURL is the permanent link of a story; it never changes.
func ShortURL(id int64) string { return "/s/" + strconv.FormatInt(id, 10) + "/" }

// Live reports whether a version of the story is on the public site.
func (s *Story) Live() bool { return s.LiveVersion > 0 }

// Validate reports the fields of s that are wrong. The body is expected to be
// sanitised already; an empty slug is derived from the title by the store.
func (s *Story) Validate() error {
	f := map[string]string{}
	switch {
	case blank(s.Title):
		f["title"] = "标题不能为空"
	case runes(s.Title) > MaxTitleRunes:
		f["title"] = "标题不能超过120个字"
	}
	if runes(s.ShareTitle) > MaxShareTitleRunes {
		f["share_title"] = "分享标题不能超过32个字（微信分享卡片会截断）"
	}
	if runes(s.Summary) > MaxSummaryRunes {
		f["summary"] = "摘要不能超过128个字"
	}
	if len(s.Body) > MaxBodyBytes {
		f["body"] = "正文过长（不能超过2MB，图片请上传到媒体库）"
	}
	if s.Slug != "" && !SlugPattern.MatchString(s.Slug) {
		f["slug"] = badSlug
	}
	if s.ProjectID <= 0 {
		f["project_id"] = "请选择所属品牌项目"
	}
	if slices.ContainsFunc(s.Tags, func(t string) bool { return blank(t) || runes(t) > 20 }) {
		f["tags"] = "标签不能为空，且每个不超过20个字"
	}
	if len(s.Tags) > MaxTags {
		f["tags"] = fmt.Sprintf("每篇稿件最多%d个标签", MaxTags)
	}
	return invalidIf(f)
}

// StoryUpdate is a partial update of the working copy; nil fields are left
// alone. Version must equal the story's current version.
type StoryUpdate struct {
	Version      int        `json:"version"`
	Title        *string    `json:"title"`
	ShareTitle   *string    `json:"share_title"`
	Summary      *string    `json:"summary"`
	Body         *string    `json:"body"`
	Slug         *string    `json:"slug"`
	CoverMediaID *int64     `json:"cover_media_id"`
	ProjectID    *int64     `json:"project_id"`
	Tags         *[]string  `json:"tags"`
	Author       *string    `json:"author"`
	Source       *string    `json:"source"`
	PublishedAt  *time.Time `json:"published_at"`
	PublishAt    *time.Time `json:"publish_at"`
	UnpublishAt  *time.Time `json:"unpublish_at"`
}

// Apply copies the set fields of u onto s.
func (u *StoryUpdate) Apply(s *Story) {
	set(&s.Title, u.Title)
	set(&s.ShareTitle, u.ShareTitle)
	set(&s.Summary, u.Summary)
	set(&s.Body, u.Body)
	set(&s.Slug, u.Slug)
	set(&s.Author, u.Author)
	set(&s.Source, u.Source)
	if u.CoverMediaID != nil {
		s.CoverMediaID = u.CoverMediaID
		if *u.CoverMediaID == 0 {
			s.CoverMediaID = nil
		}
	}
	set(&s.ProjectID, u.ProjectID)
	set(&s.Tags, u.Tags)
	setRef(&s.PublishedAt, u.PublishedAt)
	setRef(&s.PublishAt, u.PublishAt)
	setRef(&s.UnpublishAt, u.UnpublishAt)
}

// Revision is one saved version of a story's working copy. Revisions are
// never changed or deleted while the story exists.
type Revision struct {
	ID           int64     `json:"id"`
	StoryID      int64     `json:"story_id"`
	Version      int       `json:"version"`
	Title        string    `json:"title"`
	ShareTitle   string    `json:"share_title"`
	Summary      string    `json:"summary"`
	Body         string    `json:"body"`
	Slug         string    `json:"slug"`
	CoverMediaID *int64    `json:"cover_media_id"`
	ProjectID    int64     `json:"project_id"`
	Tags         []string  `json:"tags"`
	Author       string    `json:"author"`
	Source       string    `json:"source"`
	EditorID     int64     `json:"editor_id"`
	EditorName   string    `json:"editor_name"`
	CreatedAt    time.Time `json:"created_at"`
}

// SignOff is one workflow transition of a story: the 签发 record.
type SignOff struct {
	ID        int64       `json:"id"`
	StoryID   int64       `json:"story_id"`
	Version   int         `json:"version"`
	Action    Action      `json:"action"`
	FromState StoryStatus `json:"from_status"`
	ToState   StoryStatus `json:"to_status"`
	Stage     int         `json:"stage"`
	ActorID   int64       `json:"actor_id"`
	ActorName string      `json:"actor_name"`
	Comment   string      `json:"comment"`
	// Override is the reason given for passing serious wording hits.
	Override  string    `json:"override,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// StoryFilter selects working copies for the management API.
type StoryFilter struct {
	ProjectID int64
	Status    StoryStatus
	CreatedBy int64
	Tag       string
	Q         string // substring of the title
	Since     *time.Time
	Until     *time.Time
	Page
}

// StoryService manages stories. Methods read the acting user from the
// context (NewContextWithUser) for authorisation and the audit trail.
type StoryService interface {
	// FindStoryByID returns ENOTFOUND if there is no such story.
	FindStoryByID(ctx context.Context, id int64) (*Story, error)
	// FindStories returns a page of stories, newest change first, and the total.
	FindStories(ctx context.Context, f StoryFilter) ([]*Story, int, error)
	// CreateStory saves s as a draft (version 1). EINVALID names bad fields,
	// including an unknown project_id; ECONFLICT for a taken slug.
	CreateStory(ctx context.Context, s *Story) error
	// UpdateStory saves a new version of the working copy. ECONFLICT (with
	// the current story in Error.Current) when u.Version is stale; EINVALID;
	// ENOTFOUND. Editing a story in review or approved sends it back to draft;
	// editing a live story leaves the live version untouched.
	UpdateStory(ctx context.Context, id int64, u StoryUpdate) (*Story, error)
	// ApplyAction performs a workflow action (see Transition). EFORBIDDEN
	// says who may do it; ECONFLICT when the action does not apply to the
	// current state; EINVALID when a reject has no comment.
	ApplyAction(ctx context.Context, id int64, req ActionRequest) (*Story, error)
	// DeleteStory removes a story that is not live; ECONFLICT if it is live.
	DeleteStory(ctx context.Context, id int64) error
	// FindRevisions returns every saved version, newest first.
	FindRevisions(ctx context.Context, storyID int64) ([]*Revision, error)
	// FindSignOffs returns the workflow record of a story, oldest first.
	FindSignOffs(ctx context.Context, storyID int64) ([]*SignOff, error)
}

// ImportStory is one line of `huimin import`.
type ImportStory struct {
	Title       string     `json:"title"`
	Slug        string     `json:"slug"`
	Summary     string     `json:"summary"`
	Body        string     `json:"body"`
	Project     string     `json:"project"` // project slug; created when unknown
	Tags        []string   `json:"tags"`
	Author      string     `json:"author"`
	Source      string     `json:"source"`
	PublishedAt *time.Time `json:"published_at"`
	Status      string     `json:"status"` // "published" or "draft"
}

// ImportService bulk-loads stories.
type ImportService interface {
	// ImportStories saves a batch in one transaction. It returns one error
	// per item (nil when the item was saved); a non-nil second return value
	// means the whole batch failed.
	ImportStories(ctx context.Context, items []*ImportStory) ([]error, error)
}
