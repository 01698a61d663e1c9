package storetest_test

import (
	"context"
	"testing"

	"github.com/huimin/huimin/cms"
	"github.com/huimin/huimin/cms/store/storetest"
)

// TestBackend_Open checks that every Open gets a database of its own.
func TestBackend_Open(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			one, two := b.Open(t), b.Open(t)
			if err := one.CreateProject(ctx, &cms.Project{Name: "甲", Slug: "jia", Kind: cms.KindWindow, Area: "marriage"}); err != nil {
				t.Fatal(err)
			}
			if _, err := two.FindProjectBySlug(ctx, "jia"); cms.ErrorCode(err) != cms.ENOTFOUND {
				t.Errorf("second database sees the first one's project: %v", err)
			}
			if got := one.Dialect(); got != b.Name {
				t.Errorf("dialect = %q, want %q", got, b.Name)
			}
		})
	}
}

func TestMustOpen(t *testing.T) {
	db := storetest.MustOpen(t)
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}
