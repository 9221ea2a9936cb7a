package pipeline_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
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
	start := func() (*server.Server, string) { return startCached(t, dir, cache) }
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

// TestStateCacheRedeploy starts on a cache, then changes the content as a
// redeploy does (a publication added, one changed, one removed, a draft
// published) and starts again: only those files are parsed and indexed,
// the rest is taken over from the cached state, and the server answers as
// one that loaded the same content into an empty cache, before and after
// it has switched to the state it saved.
func TestStateCacheRedeploy(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	mtime := time.Unix(1e9, 0)
	write := func(name, src string) {
		t.Helper()
		file := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(file), 0o755)
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		mtime = mtime.Add(time.Second)
		os.Chtimes(file, mtime, mtime)
	}
	pub := func(title, date, extra, body string) string {
		return "---\ntitle: " + title + "\ndate: " + date + "\n" + extra + "---\n" + body + "\n"
	}
	write("reports/_index.md", "---\ntitle: Field reports\n---\nReports from the delta, written on site.\n")
	write("reports/a.md", pub("Rivers", "2022-01-13", "tags: [water]\n", "The delta floods each spring."))
	write("reports/b.md", pub("Coasts", "2022-02-13", "related: [reports/a]\n", "The estuary silts every autumn."))
	write("reports/c/index.md", pub("Charts", "2022-03-13", "", "The flood in one picture.\n\n![chart](chart.png)"))
	write("reports/c/chart.png", "\x89PNG\r\n\x1a\n")
	write("reports/d.md", pub("Ice", "2022-04-13", "tags: [water]\n", "The glacier retreats."))
	write("reports/e.md", pub("Fire", "2022-05-13", "draft: true\n", "The volcano wakes."))
	write("letters/f.md", pub("Later", "2022-06-13", "publishDate: 2999-01-01\n", "The embargoed steppe."))

	start := func(cache string) (*server.Server, string) { return startCached(t, dir, cache) }
	if _, log := start(cache); !strings.Contains(log, "state cached") {
		t.Fatalf("first start:\n%s", log)
	}

	write("reports/b.md", pub("Coasts", "2022-02-13", "related: [reports/a]\n", "The lagoon silts every autumn."))
	os.Remove(filepath.Join(dir, "reports", "d.md"))
	write("reports/e.md", pub("Fire", "2022-05-13", "", "The volcano wakes."))
	write("reports/g.md", pub("Tundra", "2023-01-13", "related: [reports/b]\n", "The tundra thaws."))

	redeployed, log := start(cache)
	for _, want := range []string{
		"loading the content from the previous cached state",
		"parsed=3 taken_over=4", // b, e, g; a, c, _index, f
		"reindexed=3 removed=1", // b, e, g; d
		"state cached",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("redeploy: the log lacks %q:\n%s", want, log)
		}
	}
	if m := regexp.MustCompile(`pages rendered" .*rendered=(\d+) reused=(\d+)`).FindStringSubmatch(log); m == nil || m[2] == "0" {
		t.Errorf("redeploy took no page over:\n%s", log)
	}
	states, _ := filepath.Glob(filepath.Join(cache, "state", "state-*"))
	indexes, _ := filepath.Glob(filepath.Join(cache, "search", "index-*"))
	if len(states) != 1 || len(indexes) != 1 {
		t.Errorf("cache holds states %v and indexes %v, want one of each", states, indexes)
	}
	cold, _ := start(t.TempDir())
	again, log := start(cache)
	if !strings.Contains(log, "started from the cached state") {
		t.Errorf("the state the redeploy saved was not used:\n%s", log)
	}

	urls := []string{"/", "/reports/", "/reports/a/", "/reports/b/", "/reports/c/", "/reports/c/chart.png", "/reports/d/",
		"/reports/e/", "/reports/g/", "/letters/f/", "/tags/water/", "/feed.atom", "/sitemap.xml", "/checksums.txt",
		"/api/search?q=glacier", "/api/search?q=estuary", "/api/search?q=lagoon", "/api/search?q=volcano",
		"/api/search?q=tundra", "/api/search?q=delta", "/api/search?q=steppe", "/search?q=%22floods+each+spring%22"}
	answer := func(s *server.Server, u string) (int, string) {
		res := get(t, s, "GET", u)
		b := body(t, res)
		if i := strings.Index(b, `"page"`); strings.HasPrefix(u, "/api/") && i >= 0 {
			b = b[i:] // past took_ms
		}
		return res.StatusCode, b
	}
	for _, u := range urls {
		wantStatus, want := answer(cold, u)
		for name, s := range map[string]*server.Server{"redeployed": redeployed, "restarted": again} {
			if status, got := answer(s, u); status != wantStatus || got != want {
				t.Errorf("%s: %s answers %d (%d bytes), a cold start %d (%d bytes)", u, name, status, len(got), wantStatus, len(want))
			}
		}
	}
	for u, want := range map[string]int{"/reports/d/": 404, "/letters/f/": 404, "/reports/e/": 200, "/reports/g/": 200, "/reports/c/chart.png": 200} {
		if status, _ := answer(redeployed, u); status != want {
			t.Errorf("%s: %d, want %d", u, status, want)
		}
	}
	for q, want := range map[string]string{"glacier": "", "estuary": "", "lagoon": "/reports/b/", "volcano": "/reports/e/", "tundra": "/reports/g/", "delta": "/reports/a/", "steppe": ""} {
		_, b := answer(redeployed, "/api/search?q="+q)
		if want == "" && strings.Contains(b, `"url"`) || want != "" && !strings.Contains(b, want) {
			t.Errorf("search %s: want %q:\n%.400s", q, want, b)
		}
	}
	if _, b := answer(redeployed, "/reports/"); !strings.Contains(b, "written on site") {
		t.Error("the section's introduction is lost")
	}
	if _, b := answer(redeployed, "/reports/g/"); !strings.Contains(b, "Coasts") {
		t.Error("the new publication does not show the one it is related to")
	}
}

// TestStateCacheEmbargo: a publishDate that comes between two starts on
// unchanged files publishes the publication, parsed from the cached state's
// record, and the state saved then replaces the one made before it.
func TestStateCacheEmbargo(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	at := time.Now().Add(1500 * time.Millisecond).UTC().Truncate(time.Second).Add(time.Second)
	for name, src := range map[string]string{
		"reports/now.md":   "---\ntitle: Now\ndate: 2022-01-13\n---\nThe delta floods.\n",
		"reports/later.md": "---\ntitle: Embargoed\ndate: 2022-01-14\npublishDate: " + at.Format(time.RFC3339) + "\n---\nThe embargoed steppe.\n",
	} {
		os.MkdirAll(filepath.Join(dir, "reports"), 0o755)
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := func() (*server.Server, string) { return startCached(t, dir, cache) }
	s, _ := start()
	if res := get(t, s, "GET", "/reports/later/"); res.StatusCode != 404 {
		t.Fatalf("published before its publishDate: %d", res.StatusCode)
	}
	time.Sleep(time.Until(at) + 100*time.Millisecond)
	s, log := start()
	if !strings.Contains(log, "previous cached state") || !strings.Contains(log, "parsed=0 taken_over=2") {
		t.Errorf("after the publishDate:\n%s", log)
	}
	for _, s := range []*server.Server{s, func() *server.Server { s, _ := start(); return s }()} {
		if res := get(t, s, "GET", "/reports/later/"); res.StatusCode != 200 || !strings.Contains(body(t, res), "embargoed steppe") {
			t.Errorf("not published after its publishDate: %d", res.StatusCode)
		}
		if b := body(t, get(t, s, "GET", "/api/search?q=steppe")); !strings.Contains(b, "/reports/later/") {
			t.Errorf("not found after its publishDate: %.300s", b)
		}
	}
	if _, log := start(); !strings.Contains(log, "started from the cached state") {
		t.Errorf("the state saved after the publishDate is not used:\n%s", log)
	}
}

// startCached loads the content folder dir into a new server, as serve
// -cache does (the state kept in cache), and returns the server and what
// the load logged.
func startCached(t *testing.T, dir, cache string) (*server.Server, string) {
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
