package cms

import (
	"context"
	"regexp"
	"slices"
	"time"
)

// ProjectKind is how a service brand reaches people.
type ProjectKind string

const (
	KindWindow    ProjectKind = "window"    // 窗口型
	KindVolunteer ProjectKind = "volunteer" // 志愿型
	KindBenefit   ProjectKind = "benefit"   // 惠民型
)

// projectKinds lists every kind in display order.
var projectKinds = [...]ProjectKind{KindWindow, KindVolunteer, KindBenefit}

// AllProjectKinds returns every kind in display order (a fresh slice).
func AllProjectKinds() []ProjectKind { return slices.Clone(projectKinds[:]) }

var kindLabels = map[ProjectKind]string{KindWindow: "窗口型", KindVolunteer: "志愿型", KindBenefit: "惠民型"}

// Label returns the Chinese name of the kind.
func (k ProjectKind) Label() string { return label(kindLabels, k) }

// Area is the civil-affairs service area of a project.
type Area string

// AreaLabel is a service area with its Chinese label.
type AreaLabel struct {
	Area  Area
	Label string
}

// areas lists every service area, with its Chinese label.
var areas = [...]AreaLabel{
	{"marriage", "婚姻登记"},
	{"funeral", "殡葬服务"},
	{"elderly", "养老服务"},
	{"veterans", "优抚安置"},
	{"assistance", "社会救助"},
	{"disability", "残疾人服务"},
	{"children", "儿童福利"},
	{"volunteering", "志愿服务"},
	{"social_org", "社会组织"},
	{"community", "社区治理"},
}

// AllAreas returns every service area with its label (a fresh slice).
func AllAreas() []AreaLabel { return slices.Clone(areas[:]) }

// Label returns the Chinese name of the area.
func (a Area) Label() string {
	if i := a.index(); i >= 0 {
		return areas[i].Label
	}
	return string(a)
}

// index is the place of a in areas, or -1 for an unknown area.
func (a Area) index() int {
	return slices.IndexFunc(areas[:], func(x AreaLabel) bool { return x.Area == a })
}

func validKind(k ProjectKind) bool { return slices.Contains(projectKinds[:], k) }

func validArea(a Area) bool { return a.index() >= 0 }

// SlugPattern is what a slug may look like: it becomes a URL path segment.
var SlugPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// badSlug is what Validate says of a slug SlugPattern refuses.
const badSlug = "链接名只能包含小写字母、数字和连字符"

// Brand is a bureau's umbrella brand (服务品牌), e.g. a slogan-led programme.
type Brand struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Slogan      string    `json:"slogan"`
	Intro       string    `json:"intro"`
	LogoMediaID *int64    `json:"logo_media_id"`
	Version     int       `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Validate reports the fields of b that are wrong.
func (b *Brand) Validate() error {
	f := map[string]string{}
	if blank(b.Name) {
		f["name"] = "品牌名称不能为空"
	}
	return invalidIf(f)
}

// Project is a named service brand (品牌项目), possibly a sub-team (一镇一品)
// of another project.
type Project struct {
	ID           int64       `json:"id"`
	BrandID      *int64      `json:"brand_id"`
	ParentID     *int64      `json:"parent_id"`
	Name         string      `json:"name"`
	Slug         string      `json:"slug"`
	Kind         ProjectKind `json:"kind"`
	Area         Area        `json:"area"`
	Summary      string      `json:"summary"`
	Intro        string      `json:"intro"` // sanitised HTML
	CoverMediaID *int64      `json:"cover_media_id"`
	Position     int         `json:"position"`
	Version      int         `json:"version"`
	URL          string      `json:"url"`
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
}

// ProjectURL is the site path of a project page.
func ProjectURL(slug string) string { return "/projects/" + slug + "/" }

// Validate reports the fields of p that are wrong. An empty slug is allowed:
// the store derives one from the name.
func (p *Project) Validate() error {
	f := map[string]string{}
	if blank(p.Name) {
		f["name"] = "项目名称不能为空"
	} else if runes(p.Name) > 60 {
		f["name"] = "项目名称不能超过60个字"
	}
	if p.Slug != "" && !SlugPattern.MatchString(p.Slug) {
		f["slug"] = badSlug
	}
	if !validKind(p.Kind) {
		f["kind"] = "项目类型必须是 window（窗口型）、volunteer（志愿型）或 benefit（惠民型）"
	}
	if !validArea(p.Area) {
		f["area"] = "服务领域无效"
	}
	if runes(p.Summary) > MaxSummaryRunes {
		f["summary"] = "简介不能超过128个字"
	}
	return invalidIf(f)
}

// ProjectUpdate is a partial update; nil fields are left alone.
type ProjectUpdate struct {
	Version      int          `json:"version"`
	Name         *string      `json:"name"`
	Slug         *string      `json:"slug"`
	Kind         *ProjectKind `json:"kind"`
	Area         *Area        `json:"area"`
	Summary      *string      `json:"summary"`
	Intro        *string      `json:"intro"`
	CoverMediaID *int64       `json:"cover_media_id"`
	ParentID     *int64       `json:"parent_id"`
	BrandID      *int64       `json:"brand_id"`
	Position     *int         `json:"position"`
}

// Apply copies the set fields of u onto p.
func (u *ProjectUpdate) Apply(p *Project) {
	set(&p.Name, u.Name)
	set(&p.Slug, u.Slug)
	set(&p.Kind, u.Kind)
	set(&p.Area, u.Area)
	set(&p.Summary, u.Summary)
	set(&p.Intro, u.Intro)
	setRef(&p.CoverMediaID, u.CoverMediaID)
	setRef(&p.ParentID, u.ParentID)
	setRef(&p.BrandID, u.BrandID)
	set(&p.Position, u.Position)
}

// ProjectFilter selects projects. Zero values mean "any".
type ProjectFilter struct {
	Kind     ProjectKind
	Area     Area
	ParentID *int64
	Page
}

// ProjectService manages projects and brands.
type ProjectService interface {
	// FindProjectByID returns ENOTFOUND if there is no such project.
	FindProjectByID(ctx context.Context, id int64) (*Project, error)
	// FindProjectBySlug returns ENOTFOUND if there is no such project.
	FindProjectBySlug(ctx context.Context, slug string) (*Project, error)
	// FindProjects returns a page of projects ordered by position, id, and the total.
	FindProjects(ctx context.Context, f ProjectFilter) ([]*Project, int, error)
	// CreateProject returns EINVALID for bad fields and ECONFLICT for a taken slug.
	CreateProject(ctx context.Context, p *Project) error
	// UpdateProject returns ENOTFOUND, EINVALID, or ECONFLICT for a stale version or taken slug.
	UpdateProject(ctx context.Context, id int64, u ProjectUpdate) (*Project, error)
	// DeleteProject returns ENOTFOUND, or ECONFLICT while stories still belong to it.
	DeleteProject(ctx context.Context, id int64) error

	// FindBrands returns every brand.
	FindBrands(ctx context.Context) ([]*Brand, error)
	// CreateBrand returns EINVALID for bad fields.
	CreateBrand(ctx context.Context, b *Brand) error
	// UpdateBrand replaces a brand's fields; ENOTFOUND, EINVALID.
	UpdateBrand(ctx context.Context, b *Brand) error
}
