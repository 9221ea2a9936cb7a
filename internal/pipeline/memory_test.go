package pipeline_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"archive/internal/pipeline"
	"archive/internal/server"
)

// TestColdStartPagesFile loads content with a cache, as serve -cache does:
// the pages published before the index is ready are served from the pages
// file written as they were rendered, and are those served once the state
// is cached; that file ends up in the cached state rather than beside it;
// and the Markdown sources and their HTML are let go of once rendered,
// except in watch mode, which renders from them again.
func TestColdStartPagesFile(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"reports/a.md": "---\ntitle: Rivers\ndate: 2022-01-13\n---\nThe delta floods each spring.\n",
		"letters/b.md": "---\ntitle: Deserts\ndate: 2022-02-13\n---\nThe dunes move each year.\n",
	} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, watch := range []bool{false, true} {
		cache := t.TempDir()
		p := pipeline.New(pipeline.Config{
			Content: os.DirFS(dir), Templates: os.DirFS(repo("templates")), Static: os.DirFS(repo("static")),
			CacheDir: cache, KeepState: !watch, Incremental: watch, Version: "test", Logger: quietLogger(),
		})
		var first []byte
		st, err := p.Load(context.Background(), func(st *pipeline.State) {
			if st.Index == nil {
				first = append([]byte(nil), st.Site.Pages["/reports/a/"].Body...)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(first), "The delta floods each spring.") {
			t.Errorf("watch %v: the page served before the index is ready:\n%.300s", watch, first)
		}
		if got := st.Site.Pages["/reports/a/"].Body; string(got) != string(first) {
			t.Errorf("watch %v: the page changed once the index was ready", watch)
		}
		if watch {
			for _, pub := range st.Site.Content.Publications {
				if pub.Body == nil || pub.Doc == nil || pub.Doc.HTML == "" {
					t.Errorf("watch mode let go of %s's Markdown or HTML, which a reload renders from", pub.Source)
				}
			}
			continue
		}
		if left, _ := os.ReadDir(filepath.Join(cache, "pages")); len(left) != 0 {
			t.Errorf("%d files left where the pages were written; want the pages file moved into the state", len(left))
		}
		if saved, _ := filepath.Glob(filepath.Join(cache, "state", "*", "pages", "pages.bin")); len(saved) != 1 {
			t.Errorf("cached pages files: %v", saved)
		}
	}
	// The loaded content itself, before the cached state replaced it.
	p := pipeline.New(pipeline.Config{
		Content: os.DirFS(dir), Templates: os.DirFS(repo("templates")), Static: os.DirFS(repo("static")),
		CacheDir: t.TempDir(), Logger: quietLogger(),
	})
	st, err := p.Load(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, pub := range st.Site.Content.Publications {
		if pub.Body != nil || pub.Doc == nil || pub.Doc.HTML != "" || len(pub.Doc.Blocks) == 0 {
			t.Errorf("%s: Markdown %d bytes, HTML %d bytes after rendering, want none; blocks for search kept", pub.Source, len(pub.Body), len(pub.Doc.HTML))
		}
	}
	s := server.New(server.Config{Logger: quietLogger()})
	s.Publish(st)
	if res := get(t, s, "GET", "/reports/a/"); res.StatusCode != 200 || !strings.Contains(body(t, res), "The delta floods") {
		t.Errorf("the page after rendering: %d", res.StatusCode)
	}
}

// TestCollectorRelaxedWhileLoading: under a soft memory limit, the
// collector runs less often while the content loads and the pages render
// (the pages are published then), and at its own percent again for the
// index and after the load; once the server settles it runs less often
// still, but for an index's build; without a limit, or with GOGC set,
// neither a load nor the server changes it.
func TestCollectorRelaxedWhileLoading(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "reports"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "reports", "a.md"), []byte("---\ntitle: Rivers\ndate: 2022-01-13\n---\nThe delta floods each spring.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	gcPercent := func() int {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	for _, c := range []struct {
		name    string
		limit   int64
		gogc    string
		relaxed bool
	}{
		{"memory limit", 768 << 20, "", true},
		{"no memory limit", math.MaxInt64, "", false},
		{"GOGC set", 768 << 20, "100", false},
	} {
		t.Setenv("GOGC", c.gogc)
		debug.SetMemoryLimit(c.limit)
		p := pipeline.New(pipeline.Config{
			Content: os.DirFS(dir), Templates: os.DirFS(repo("templates")), Static: os.DirFS(repo("static")),
			Logger: quietLogger(),
		})
		var pages, indexed int
		_, err := p.Load(context.Background(), func(st *pipeline.State) {
			if st.Index == nil {
				pages = gcPercent()
			} else {
				indexed = gcPercent()
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := pages > 100; got != c.relaxed {
			t.Errorf("%s: GC percent %d while the pages were published, want it above 100: %v", c.name, pages, c.relaxed)
		}
		if after := gcPercent(); indexed != 100 || after != 100 {
			t.Errorf("%s: GC percent %d with the index, %d after the load; want 100", c.name, indexed, after)
		}

		// Once serving, the collector runs less often, unless it may not
		// be tuned; a load meanwhile builds its index at the default, and
		// serving goes back to the serving percent.
		pipeline.SettleCollector()
		serving := 100
		if c.relaxed {
			serving = 200
		}
		if got := gcPercent(); got != serving {
			t.Errorf("%s: GC percent %d once settled, want %d", c.name, got, serving)
		}
		if _, err := p.Load(context.Background(), func(st *pipeline.State) {
			if st.Index != nil {
				indexed = gcPercent()
			}
		}); err != nil {
			t.Fatal(err)
		}
		if after := gcPercent(); indexed != 100 || after != serving {
			t.Errorf("%s: a load while serving: GC percent %d with the index, %d after it; want 100 and %d", c.name, indexed, after, serving)
		}
		debug.SetGCPercent(100)
	}
}
