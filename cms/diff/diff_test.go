package diff

import (
	"strings"
	"testing"

	"github.com/huimin/huimin/cms"
)

func TestRevisions(t *testing.T) {
	a := &cms.Revision{StoryID: 1, Version: 1, Title: "婚姻登记处颁证", Summary: "摘要",
		Body: "<p>第一段不变。</p><p>为30对新人颁证。</p>", Slug: "a", Tags: []string{"婚姻"}}
	b := &cms.Revision{StoryID: 1, Version: 3, Title: "婚姻登记处集体颁证", Summary: "摘要",
		Body: "<p>第一段不变。</p><p>为32对新人颁证。</p><p>新增一段。</p>", Slug: "a", Tags: []string{"婚姻", "七夕"}}
	d := Revisions(a, b)
	byName := map[string]cms.FieldDiff{}
	for _, f := range d.Fields {
		byName[f.Field] = f
	}
	title := byName["title"]
	if !title.Changed || len(title.Ops) != 3 || title.Ops[1].Op != "insert" || title.Ops[1].Text != "集体" {
		t.Errorf("title diff = %+v", title.Ops)
	}
	if byName["summary"].Changed {
		t.Errorf("summary reported changed")
	}
	body := byName["body"]
	if !body.Changed || !strings.Contains(body.Unified, "-为30对新人颁证。\n") || !strings.Contains(body.Unified, "+为32对新人颁证。\n") ||
		!strings.Contains(body.Unified, "+新增一段。") || !strings.Contains(body.Unified, " 第一段不变。\n") {
		t.Errorf("body unified diff:\n%s", body.Unified)
	}
	if strings.Join(d.Other, ",") != "tags" {
		t.Errorf("other = %v, want tags", d.Other)
	}
}
