package store

import (
	"context"
	"fmt"

	"github.com/huimin/huimin/cms"
)

var _ cms.RevisionService = (*DB)(nil)

// FindRevision returns version of story storyID.
func (db *DB) FindRevision(ctx context.Context, storyID int64, version int) (r *cms.Revision, err error) {
	defer cms.Wrap(&err, "FindRevision(%d, %d)", storyID, version)
	var row revisionRow
	if err := db.read(ctx).Where("story_id = ? AND version = ?", storyID, version).Take(&row).Error; err != nil {
		return nil, notFound(err, fmt.Sprintf("稿件没有第%d版", version))
	}
	return row.toCMS(), nil
}

// RestoreRevision saves the content of an old version as a new version of
// the working copy. The slug stays what it is now: it is the story's
// address, not its content, and the old one may belong to another story
// by now. A cover that has since been deleted is left out.
func (db *DB) RestoreRevision(ctx context.Context, storyID int64, version, current int) (s *cms.Story, err error) {
	defer cms.Wrap(&err, "RestoreRevision(%d, %d)", storyID, version)
	rev, err := db.FindRevision(ctx, storyID, version)
	if err != nil {
		return nil, err
	}
	cover := int64(0)
	if rev.CoverMediaID != nil {
		if ok, err := exists(db.read(ctx), "media", *rev.CoverMediaID); err != nil {
			return nil, err
		} else if ok {
			cover = *rev.CoverMediaID
		}
	}
	tags := rev.Tags
	u := cms.StoryUpdate{
		Version: current, Title: &rev.Title, ShareTitle: &rev.ShareTitle, Summary: &rev.Summary, Body: &rev.Body,
		CoverMediaID: &cover, ProjectID: &rev.ProjectID, Tags: &tags, Author: &rev.Author, Source: &rev.Source,
	}
	return db.updateStory(ctx, storyID, u, "story.restore", fmt.Sprintf("由第 %d 版恢复为", version))
}
