// Which workflow actions the UI offers. This mirrors cms.Transition on the
// server so people only see buttons that can work; the server still decides
// and its 403/409 message is shown when they disagree.

export const ACTIONS = ['submit', 'approve', 'reject', 'publish', 'unpublish']

export function finalStage(stages) {
  return stages >= 1 && stages <= 3 ? stages : 3
}

function isLive(story) {
  return (story.live_version || 0) > 0
}

function reviewerOf(user, level) {
  return user.role === 'reviewer' && user.level === level
}

// allowedActions returns the actions user may take on story now, in
// display order, for a site with the given number of review stages.
export function allowedActions(story, user, stages) {
  if (!story || !story.id || !user) return []
  const admin = user.role === 'admin'
  const final = finalStage(stages)
  const s = story.status
  const out = []
  if ((admin || user.role === 'editor' || user.id === story.created_by) && (s === 'draft' || s === 'unpublished')) {
    out.push('submit')
  }
  if (s === 'in_review' && (admin || reviewerOf(user, story.review_stage))) out.push('approve')
  let rejectStage = 0
  if (s === 'in_review') rejectStage = story.review_stage
  else if (s === 'approved' || s === 'scheduled') rejectStage = final
  if (rejectStage && (admin || reviewerOf(user, rejectStage))) out.push('reject')
  const finalReviewer = reviewerOf(user, final)
  if ((admin || finalReviewer) && (s === 'approved' || (admin && s !== 'published' && s !== 'scheduled'))) {
    out.push('publish')
  }
  if ((admin || finalReviewer) && (isLive(story) || s === 'scheduled')) out.push('unpublish')
  return out
}

// waitsFor reports whether story waits for user's review: reviewers see
// their own stage, the final reviewer also what is approved and ready to
// publish, admins everything in review.
export function waitsFor(story, user, stages) {
  if (!user) return false
  if (user.role === 'admin') return story.status === 'in_review' || story.status === 'approved'
  if (user.role !== 'reviewer') return false
  if (story.status === 'in_review') return story.review_stage === user.level
  return story.status === 'approved' && user.level === finalStage(stages)
}

// hasPendingChanges reports whether a live story has saved edits that are
// not yet on the public site.
export function hasPendingChanges(story) {
  return isLive(story) && story.version !== story.live_version
}
