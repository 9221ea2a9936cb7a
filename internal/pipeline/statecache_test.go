package pipeline_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"archive/internal/pipeline"
	"archive/internal/server"
)

// TestStateCache starts servers one after another on one content folder
// and cache: the second serves the state the first saved, byte for byte; an
// edit, or a damaged state, makes the next one load the content again.
func TestStateCache(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	file := filepath.Join(dir, "reports", "a.md")
	write := func(text string, mtime time.Time) {
		t.Helper()
		os.MkdirAll(filepath.Dir(file), 0o755)
		src := "---\ntitle: Rivers\ndate: 2022-01-13\n---\n" + text + "\n"
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(file, mtime, mtime)
	}
	write("The delta floods each spring.", time.Unix(1e9, 0))
	start := func() (*server.Server, string) {
		t.Helper()
		var log logBuffer
		logger := slog.New(slog.NewTextHandler(&log, nil))
		s := server.New(server.Config{Logger: logger})
		p := pipeline.New(pipeline.Config{
			Content:   os.DirFS(dir),
			Templates: os.DirFS(repo("templates")),
			Static:    os.DirFS(repo("static")),
			CacheDir:  cache,
			KeepState: true,
			Version:   "test",
			Logger:    logger,
		})
		if _, err := p.Load(context.Background(), s.Publish); err != nil {
			t.Fatal(err)
		}
		return s, log.String()
	}
	const fromCache = "started from the cached state"
	urls := []string{"/", "/reports/a/", "/feed.atom", "/reports/a/cite.bib", "/api/search?q=delta", "/search?q=%22each+spring%22", "/nowhere/"}

	first, log := start()
	if strings.Contains(log, fromCache) || !strings.Contains(log, "state cached") {
		t.Fatalf("first start:\n%s", log)
	}
	second, log := start()
	if !strings.Contains(log, fromCache) {
		t.Fatalf("second start did not use the cached state:\n%s", log)
	}
	for _, u := range urls {
		want, got := get(t, first, "GET", u), get(t, second, "GET", u)
		wb, gb := body(t, want), body(t, got)
		if strings.HasPrefix(u, "/api/") {
			wb, gb = wb[strings.Index(wb, `"page"`):], gb[strings.Index(gb, `"page"`):] // past took_ms
		}
		if want.StatusCode != got.StatusCode || wb != gb || want.Header.Get("ETag") != got.Header.Get("ETag") {
			t.Errorf("%s: the cached state answers %d (%d bytes), the loaded content %d (%d bytes)", u, got.StatusCode, len(gb), want.StatusCode, len(wb))
		}
	}

	write("The estuary silts every autumn.", time.Unix(2e9, 0))
	third, log := start()
	if strings.Contains(log, fromCache) {
		t.Fatalf("an edited file was served from the cached state:\n%s", log)
	}
	if b := body(t, get(t, third, "GET", "/reports/a/")); !strings.Contains(b, "estuary") {
		t.Error("the edit is not served")
	}
	states, _ := filepath.Glob(filepath.Join(cache, "state", "*"))
	if len(states) != 1 {
		t.Errorf("cache holds %d states, want the newest only: %v", len(states), states)
	}

	pages, _ := filepath.Glob(filepath.Join(cache, "state", "*", "pages", "pages.bin"))
	if len(pages) != 1 {
		t.Fatalf("pages files: %v", pages)
	}
	if err := os.Truncate(pages[0], 10); err != nil {
		t.Fatal(err)
	}
	fourth, log := start()
	if !strings.Contains(log, "cached state unusable") || strings.Contains(log, fromCache) {
		t.Errorf("a damaged state was not set aside:\n%s", log)
	}
	if b := body(t, get(t, fourth, "GET", "/reports/a/")); !strings.Contains(b, "estuary") {
		t.Error("after a damaged state the page is not served")
	}
}
