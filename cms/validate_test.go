package cms

import (
	"fmt"
	"testing"
)

// TestStandingPage_Validate_ReservedSlug covers issue 12 item 9: a standing
// page may not take a path the site or the server already answers.
func TestStandingPage_Validate_ReservedSlug(t *testing.T) {
	t.Parallel()
	for _, slug := range []string{"stories", "s", "index", "media", "api", "admin", "css", "js", "tags",
		"projects", "search", "sitemap", "archive", "preview", "healthz"} {
		err := (&StandingPage{Title: "关于", Slug: slug}).Validate()
		if ErrorCode(err) != EINVALID || err.(*Error).Fields["slug"] == "" {
			t.Errorf("slug %q: err = %v, want EINVALID naming slug", slug, err)
		}
	}
	if err := (&StandingPage{Title: "关于", Slug: "about"}).Validate(); err != nil {
		t.Errorf("slug about: %v", err)
	}
}

// TestStory_Validate_MaxTags covers issue 12 item 6: tags per story are bounded.
func TestStory_Validate_MaxTags(t *testing.T) {
	t.Parallel()
	s := &Story{Title: "标题", ProjectID: 1}
	for i := range MaxTags {
		s.Tags = append(s.Tags, fmt.Sprint("标签", i))
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("%d tags: %v", MaxTags, err)
	}
	s.Tags = append(s.Tags, "再多一个")
	err := s.Validate()
	if ErrorCode(err) != EINVALID || err.(*Error).Fields["tags"] == "" {
		t.Fatalf("%d tags: err = %v, want EINVALID naming tags", len(s.Tags), err)
	}
}

// TestAccessors_ReturnCopies checks that the lists of kinds, areas,
// statuses and actions cannot be changed through what they return.
func TestAccessors_ReturnCopies(t *testing.T) {
	t.Parallel()
	AllProjectKinds()[0] = "x"
	AllAreas()[0].Area = "x"
	AllStoryStatuses()[0] = "x"
	AllActions()[0] = "x"
	if !validKind(KindWindow) || !validArea("marriage") || !StatusDraft.Valid() || AllActions()[0] != ActionSubmit {
		t.Fatal("changing a returned list changed the domain")
	}
}

// TestInspectionSettings_Validate_ListsNamed: more than 500 lists of one
// kind is refused under that kind's field (all three came back as
// column_tags).
func TestInspectionSettings_Validate_ListsNamed(t *testing.T) {
	t.Parallel()
	many := make([]string, 501)
	for i := range many {
		many[i] = fmt.Sprint("tag:", i)
	}
	for field, set := range map[string]func(*InspectionSettings){
		"news_lists":  func(s *InspectionSettings) { s.NewsLists = many },
		"other_lists": func(s *InspectionSettings) { s.OtherLists = many },
		"column_tags": func(s *InspectionSettings) { s.ColumnTags = many },
	} {
		s := DefaultInspectionSettings()
		set(&s)
		err := s.Validate()
		if ErrorCode(err) != EINVALID || len(err.(*Error).Fields) != 1 || err.(*Error).Fields[field] == "" {
			t.Errorf("501 %s: err = %v, want EINVALID naming %s only", field, err, field)
		}
	}
}
