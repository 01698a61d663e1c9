// Package demo seeds a new data directory with the campaign of a fictional
// district bureau, so that a first start shows what Huimin makes. The texts
// were written for this project (see README.md beside this file).
package demo

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/huimin/huimin/cms"
)

var (
	//go:embed site.json
	siteJSON []byte
	//go:embed projects.json
	projectsJSON []byte
	//go:embed stories.jsonl
	storiesJSONL []byte
	//go:embed inreview.json
	inReviewJSON []byte
)

// Services are what seeding writes through.
type Services struct {
	Settings cms.SettingsService
	Projects cms.ProjectService
	Pages    cms.PageService
	Import   cms.ImportService
	Stories  cms.StoryService
	// Admin submits the demo story that waits in review.
	Admin *cms.User
}

type siteFile struct {
	Settings cms.SettingsUpdate `json:"settings"`
	Brand    cms.Brand          `json:"brand"`
	Pages    []cms.StandingPage `json:"pages"`
}

type projectFile struct {
	cms.Project
	SubTeams []struct {
		Name    string `json:"name"`
		Summary string `json:"summary"`
	} `json:"subteams"`
}

// Seed writes the demo campaign: settings, brand, projects with their
// sub-teams, standing pages and stories, one of them waiting for 初审 with
// wording the dictionary flags, so the review tools have something to show.
func Seed(ctx context.Context, s Services) (err error) {
	defer cms.Wrap(&err, "demo.Seed")
	var site siteFile
	if err := json.Unmarshal(siteJSON, &site); err != nil {
		return err
	}
	cur, err := s.Settings.FindSettings(ctx)
	if err != nil {
		return err
	}
	site.Settings.Version = cur.Version
	if _, err := s.Settings.UpdateSettings(ctx, site.Settings); err != nil {
		return err
	}
	brand := site.Brand
	if err := s.Projects.CreateBrand(ctx, &brand); err != nil {
		return err
	}
	for i := range site.Pages {
		p := site.Pages[i]
		p.Position = i + 1
		if err := s.Pages.SavePage(ctx, &p); err != nil {
			return fmt.Errorf("page %s: %w", p.Slug, err)
		}
	}

	var projects []projectFile
	if err := json.Unmarshal(projectsJSON, &projects); err != nil {
		return err
	}
	for i := range projects {
		p := projects[i].Project
		p.BrandID, p.Position = &brand.ID, i+1
		if err := s.Projects.CreateProject(ctx, &p); err != nil {
			return fmt.Errorf("project %s: %w", p.Slug, err)
		}
		for j, t := range projects[i].SubTeams {
			sub := cms.Project{
				Name: t.Name, Summary: t.Summary, Kind: p.Kind, Area: p.Area,
				Slug: fmt.Sprintf("%s-%d", p.Slug, j+1), ParentID: &p.ID, BrandID: &brand.ID, Position: j + 1,
			}
			if err := s.Projects.CreateProject(ctx, &sub); err != nil {
				return fmt.Errorf("sub-team %s: %w", t.Name, err)
			}
		}
	}

	var stories []*cms.ImportStory
	sc := bufio.NewScanner(bytes.NewReader(storiesJSONL))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var st cms.ImportStory
		if err := json.Unmarshal(sc.Bytes(), &st); err != nil {
			return fmt.Errorf("stories.jsonl line %d: %w", n, err)
		}
		stories = append(stories, &st)
	}
	errs, err := s.Import.ImportStories(ctx, stories)
	if err != nil {
		return err
	}
	for i, e := range errs {
		if e != nil {
			return fmt.Errorf("story %q: %w", stories[i].Title, e)
		}
	}
	return seedInReview(ctx, s)
}

func seedInReview(ctx context.Context, s Services) error {
	var in struct {
		cms.Story
		Project string `json:"project"`
	}
	if err := json.Unmarshal(inReviewJSON, &in); err != nil {
		return fmt.Errorf("inreview.json: %w", err)
	}
	p, err := s.Projects.FindProjectBySlug(ctx, in.Project)
	if err != nil {
		return fmt.Errorf("inreview.json: project %s: %w", in.Project, err)
	}
	st := in.Story
	st.ProjectID = p.ID
	ctx = cms.NewContextWithUser(ctx, s.Admin)
	if err := s.Stories.CreateStory(ctx, &st); err != nil {
		return fmt.Errorf("story %q: %w", st.Title, err)
	}
	if _, err := s.Stories.ApplyAction(ctx, st.ID, cms.ActionRequest{Action: cms.ActionSubmit}); err != nil {
		return fmt.Errorf("submitting %q: %w", st.Title, err)
	}
	return nil
}
