// Command pocketbase is the PocketBase peer of the content API benchmark: it
// loads the stories the benchmark exported (one JSON object a line, the
// content API's own story objects) into a PocketBase collection and serves
// PocketBase's records API on --addr, so the same load generator can read
// the same data from both.
//
//	pocketbase --dir DIR --stories stories.jsonl --addr 127.0.0.1:PORT
//
// The collection is public to read (listRule and viewRule ""), with a
// unique index on slug and one on (project, area, published_at) for the
// filtered list; request logging is off, as it is in Huimin's content API,
// so neither server pays for an access log.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// story is the part of a content API story the peer stores.
type story struct {
	Slug        string    `json:"slug"`
	Title       string    `json:"title"`
	ShareTitle  string    `json:"share_title"`
	Summary     string    `json:"summary"`
	Body        string    `json:"body"`
	Tags        []string  `json:"tags"`
	Author      string    `json:"author"`
	Source      string    `json:"source"`
	Version     int       `json:"version"`
	PublishedAt time.Time `json:"published_at"`
	URL         string    `json:"url"`
	ShortURL    string    `json:"short_url"`
	Project     struct {
		Slug string `json:"slug"`
		Name string `json:"name"`
		Kind string `json:"kind"`
		Area string `json:"area"`
	} `json:"project"`
}

func main() {
	dir := flag.String("dir", "", "PocketBase data directory (new)")
	stories := flag.String("stories", "", "JSON lines of content API stories")
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	flag.Parse()
	if err := run(*dir, *stories, *addr); err != nil {
		log.Fatal(err)
	}
}

func run(dir, stories, addr string) error {
	app := pocketbase.NewWithConfig(pocketbase.Config{DefaultDataDir: dir, HideStartBanner: true})
	if err := app.Bootstrap(); err != nil {
		return err
	}
	if err := app.RunAllMigrations(); err != nil {
		return err
	}
	s := app.Settings()
	s.Logs.MaxDays = 0 // no request log
	if err := app.Save(s); err != nil {
		return err
	}
	start := time.Now()
	n, err := load(app, stories)
	if err != nil {
		return err
	}
	fmt.Printf("pocketbase peer: %d stories loaded in %s\n", n, time.Since(start).Round(time.Millisecond))
	return apis.Serve(app, apis.ServeConfig{HttpAddr: addr})
}

func load(app core.App, path string) (int, error) {
	c := core.NewBaseCollection("stories")
	public := ""
	c.ListRule, c.ViewRule = &public, &public
	for _, name := range []string{"slug", "title", "share_title", "summary", "author", "source", "url", "short_url",
		"project", "project_name", "kind", "area"} {
		c.Fields.Add(&core.TextField{Name: name})
	}
	c.Fields.Add(&core.TextField{Name: "body", Max: 1 << 20})
	c.Fields.Add(&core.JSONField{Name: "tags"})
	c.Fields.Add(&core.NumberField{Name: "version"})
	c.Fields.Add(&core.DateField{Name: "published_at"})
	c.AddIndex("idx_stories_slug", true, "slug", "")
	c.AddIndex("idx_stories_list", false, "project, area, published_at", "")
	if err := app.Save(c); err != nil {
		return 0, fmt.Errorf("create collection: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	n := 0
	err = app.RunInTransaction(func(tx core.App) error {
		for sc.Scan() {
			var st story
			if err := json.Unmarshal(sc.Bytes(), &st); err != nil {
				return fmt.Errorf("line %d: %w", n+1, err)
			}
			r := core.NewRecord(c)
			for k, v := range map[string]any{
				"slug": st.Slug, "title": st.Title, "share_title": st.ShareTitle, "summary": st.Summary,
				"body": st.Body, "author": st.Author, "source": st.Source, "url": st.URL, "short_url": st.ShortURL,
				"project": st.Project.Slug, "project_name": st.Project.Name, "kind": st.Project.Kind,
				"area": st.Project.Area, "tags": st.Tags, "version": st.Version,
			} {
				r.Set(k, v)
			}
			at, err := types.ParseDateTime(st.PublishedAt)
			if err != nil {
				return err
			}
			r.Set("published_at", at)
			if err := tx.Save(r); err != nil {
				return fmt.Errorf("line %d: %w", n+1, err)
			}
			n++
		}
		return sc.Err()
	})
	return n, err
}
