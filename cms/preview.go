package cms

import "context"

// Previewer renders a story that is not (or not in this version) live with
// the public site's theme, for reviewers to see before publication.
type Previewer interface {
	// PreviewStory returns the HTML page of s as the site would show it.
	PreviewStory(ctx context.Context, s *LiveStory) ([]byte, error)
}
