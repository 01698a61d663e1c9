// Package diff compares two revisions of a story for reviewers: the title
// and summary character by character, the body's text line by line and
// character by character. HTML markup is left out: reviewers judge words.
package diff

import (
	"reflect"
	"strings"
	"time"

	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/markup"
)

// timeout bounds the character diff of a long body; past it the diff is
// coarser but still correct.
const timeout = time.Second

// Revisions returns what changed from one revision to another.
func Revisions(from, to *cms.Revision) *cms.RevisionDiff {
	d := &cms.RevisionDiff{StoryID: to.StoryID, From: from, To: to, Other: []string{}}
	d.Fields = append(d.Fields,
		field("title", from.Title, to.Title, false),
		field("share_title", from.ShareTitle, to.ShareTitle, false),
		field("summary", from.Summary, to.Summary, false),
		field("body", markup.Text(from.Body), markup.Text(to.Body), true),
	)
	if from.Body != to.Body && markup.Text(from.Body) == markup.Text(to.Body) {
		d.Other = append(d.Other, "body_markup") // only formatting, links or images changed
	}
	for _, o := range []struct {
		name string
		a, b any
	}{
		{"slug", from.Slug, to.Slug}, {"cover_media_id", from.CoverMediaID, to.CoverMediaID},
		{"project_id", from.ProjectID, to.ProjectID}, {"tags", from.Tags, to.Tags},
		{"author", from.Author, to.Author}, {"source", from.Source, to.Source},
	} {
		if !reflect.DeepEqual(o.a, o.b) {
			d.Other = append(d.Other, o.name)
		}
	}
	return d
}

func field(name, a, b string, lines bool) cms.FieldDiff {
	f := cms.FieldDiff{Field: name, Changed: a != b, From: a, To: b}
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = timeout
	diffs := dmp.DiffMain(a, b, false)
	diffs = dmp.DiffCleanupSemantic(diffs)
	f.Ops = ops(diffs)
	if lines && f.Changed {
		ra, rb, lineArray := dmp.DiffLinesToRunes(a+"\n", b+"\n")
		ld := dmp.DiffCharsToLines(dmp.DiffMainRunes(ra, rb, false), lineArray)
		f.Unified = unified(ld)
	}
	return f
}

// runKinds shows each kind of run: by its name in ops, by its line prefix
// in unified.
var runKinds = map[diffmatchpatch.Operation]struct{ name, prefix string }{
	diffmatchpatch.DiffEqual:  {"equal", " "},
	diffmatchpatch.DiffInsert: {"insert", "+"},
	diffmatchpatch.DiffDelete: {"delete", "-"},
}

func ops(diffs []diffmatchpatch.Diff) []cms.DiffOp {
	out := make([]cms.DiffOp, 0, len(diffs))
	for _, d := range diffs {
		out = append(out, cms.DiffOp{Op: runKinds[d.Type].name, Text: d.Text})
	}
	return out
}

// unified renders a line diff with "-", "+" and " " prefixes.
func unified(diffs []diffmatchpatch.Diff) string {
	var b strings.Builder
	for _, d := range diffs {
		for _, line := range strings.SplitAfter(d.Text, "\n") {
			if line == "" {
				continue
			}
			b.WriteString(runKinds[d.Type].prefix)
			b.WriteString(line)
			if !strings.HasSuffix(line, "\n") {
				b.WriteByte('\n')
			}
		}
	}
	return b.String()
}
