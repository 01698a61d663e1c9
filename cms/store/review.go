package store

import (
	"context"

	"github.com/huimin/huimin/cms"
)

var _ cms.ReviewService = (*DB)(nil)

// FindInbox returns what waits for the user in ctx, oldest change first
// (the story that has waited longest comes first), with counts per stage.
func (db *DB) FindInbox(ctx context.Context, p cms.Page) (in *cms.Inbox, err error) {
	defer cms.Wrap(&err, "FindInbox")
	u := cms.UserFromContext(ctx)
	if u == nil {
		return nil, cms.Errorf(cms.EUNAUTHORIZED, "请先登录")
	}
	q := db.read(ctx)
	stages, err := reviewStages(q)
	if err != nil {
		return nil, err
	}
	in = &cms.Inbox{ReviewStages: stages, Level: u.Level,
		FinalStage: u.Role == cms.RoleAdmin || (u.Role == cms.RoleReviewer && u.Level == stages)}

	var counts []struct {
		Status      string
		ReviewStage int
		N           int
	}
	if err := q.Model(&storyRow{}).Select("status, review_stage, COUNT(*) AS n").
		Where("status IN ?", []string{string(cms.StatusInReview), string(cms.StatusApproved), string(cms.StatusScheduled)}).
		Group("status, review_stage").Scan(&counts).Error; err != nil {
		return nil, err
	}
	perStage := map[int]int{}
	for _, c := range counts {
		switch cms.StoryStatus(c.Status) {
		case cms.StatusInReview:
			perStage[c.ReviewStage] += c.N
		case cms.StatusApproved:
			in.Approved += c.N
		case cms.StatusScheduled:
			in.Scheduled += c.N
		}
	}
	for k := 1; k <= stages; k++ {
		in.Stages = append(in.Stages, cms.StageCount{Stage: k, Name: cms.StageName(k), Count: perStage[k]})
	}
	// Stories left at a stage the site no longer has (review_stages was
	// lowered) wait at the final stage.
	for k, n := range perStage {
		if k > stages {
			in.Stages[stages-1].Count += n
		}
	}

	items := q.Model(&storyRow{})
	switch {
	case u.Role == cms.RoleAdmin:
		items = items.Where("status IN ?", []string{string(cms.StatusInReview), string(cms.StatusApproved)})
	case u.Role == cms.RoleReviewer && u.Level == stages:
		items = items.Where("(status = ? AND review_stage >= ?) OR status = ?",
			string(cms.StatusInReview), stages, string(cms.StatusApproved))
	case u.Role == cms.RoleReviewer && u.Level < stages:
		items = items.Where("status = ? AND review_stage = ?", string(cms.StatusInReview), u.Level)
	case u.Role == cms.RoleEditor || u.Role == cms.RoleReviewer:
		// Their own drafts sent back by a reviewer: the last sign-off is a reject.
		items = items.Where("created_by = ? AND status = ?", u.ID, string(cms.StatusDraft)).
			Where("(SELECT action FROM sign_offs WHERE sign_offs.story_id = stories.id ORDER BY sign_offs.id DESC LIMIT 1) = ?",
				string(cms.ActionReject))
	}
	var rows []storyRow
	if in.Total, err = findPage(items, p, "updated_at, id", &rows); err != nil {
		return nil, err
	}
	in.Items = convert(rows, (*storyRow).toCMS)
	return in, nil
}
