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

// TestWatchReloads edits a content file under a server in watch mode: a good
// edit is served, a broken one keeps the last good version with the error
// shown on the page.
func TestWatchReloads(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "reports", "a.md")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		// Make sure the change is seen even on coarse file times.
		later := time.Now().Add(time.Duration(len(s)) * time.Millisecond)
		os.Chtimes(file, later, later)
	}
	write("---\ntitle: First title\ndate: 2022-01-13\n---\nFirst body.\n")
	s := server.New(server.Config{Watch: true, Logger: quietLogger()})
	p := pipeline.New(pipeline.Config{
		Content:     os.DirFS(dir),
		Templates:   os.DirFS(repo("templates")),
		Static:      os.DirFS(repo("static")),
		Incremental: true,
		Logger:      quietLogger(),
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := p.Load(ctx, s.Publish); err != nil {
		t.Fatal(err)
	}
	go p.Watch(ctx, 20*time.Millisecond, s.Publish, s.Reloaded)

	page := func() string { return body(t, get(t, s, "GET", "/reports/a/")) }
	// waitFor polls until the page shows every one of want: an editor's
	// save can be seen half-written first.
	waitFor := func(want ...string) string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			b := page()
			all := true
			for _, w := range want {
				all = all && strings.Contains(b, w)
			}
			if all {
				return b
			}
			if time.Now().After(deadline) {
				t.Fatalf("page never showed %q:\n%s", want, b)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	b := page()
	if !strings.Contains(b, `<script src="/_watch/reload.js"`) {
		t.Error("watch mode page lacks the reload script")
	}
	res := get(t, s, "GET", "/reports/a/")
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP in watch mode = %q", csp)
	}

	write("---\ntitle: Second title\ndate: 2022-01-13\n---\nSecond body.\n")
	waitFor("Second body.")

	write("---\ntitle: [broken\ndate: 2022-01-13\n---\nThird body.\n")
	b = waitFor("the latest change has an error", "reports/a.md:2:")
	if !strings.Contains(b, "Second body.") || strings.Contains(b, "Third body.") {
		t.Error("a broken edit replaced the last good version")
	}

	write("---\ntitle: Fixed title\ndate: 2022-01-13\n---\nFourth body.\n")
	waitFor("Fourth body.")
	// The new pages are served before the reload ends (the search index is
	// built last); the banner goes when it does.
	for deadline := time.Now().Add(10 * time.Second); strings.Contains(page(), "the latest change has an error"); {
		if time.Now().After(deadline) {
			t.Fatal("the error banner stayed after the fix")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWatchReloadsOnlyWhatChanged edits one publication of three: the reload
// renders again only the pages that show it and indexes only its text.
func TestWatchReloadsOnlyWhatChanged(t *testing.T) {
	dir := t.TempDir()
	write := func(name, title, text string) {
		t.Helper()
		file := filepath.Join(dir, "reports", name+".md")
		os.MkdirAll(filepath.Dir(file), 0o755)
		src := "---\ntitle: " + title + "\ndate: 2022-01-1" + name[len(name)-1:] + "\ntags: [" + name + "]\n---\n" + text + "\n"
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("r1", "First", "Quartz walls.")
	write("r2", "Second", "Granite floors.")
	write("r3", "Third", "Basalt roofs.")
	var log logBuffer
	s := server.New(server.Config{Watch: true, Logger: quietLogger()})
	p := pipeline.New(pipeline.Config{
		Content:     os.DirFS(dir),
		Templates:   os.DirFS(repo("templates")),
		Static:      os.DirFS(repo("static")),
		Incremental: true,
		Logger:      slog.New(slog.NewTextHandler(&log, nil)),
	})
	ctx := context.Background()
	if _, err := p.Load(ctx, s.Publish); err != nil {
		t.Fatal(err)
	}
	before := s.Site()
	write("r2", "Second", "Marble floors.")
	if _, err := p.Load(ctx, s.Publish); err != nil {
		t.Fatal(err)
	}
	after := s.Site()
	if after == before {
		t.Fatal("no reload")
	}
	for _, p := range []string{"/reports/r1/", "/reports/r3/", "/tags/r1/", "/reports/r1/cite.bib"} {
		if after.Pages[p] != before.Pages[p] {
			t.Errorf("%s was rendered again though nothing it shows changed", p)
		}
	}
	if after.Pages["/reports/r2/"] == before.Pages["/reports/r2/"] {
		t.Error("the edited publication's page was not rendered again")
	}
	if after.Rendered == 0 || after.Rendered >= len(after.Pages)/2 || after.Reused == 0 {
		t.Errorf("rendered %d and reused %d of %d pages", after.Rendered, after.Reused, len(after.Pages))
	}
	if !strings.Contains(log.String(), "reindexed=1 removed=0") {
		t.Errorf("the log does not say that one document was indexed again:\n%s", log.String())
	}
	for q, want := range map[string]string{"marble": "/reports/r2/", "granite": "", "basalt": "/reports/r3/"} {
		b := body(t, get(t, s, "GET", "/api/search?q="+q))
		if got := strings.Contains(b, `"url":"`+want); want != "" && !got {
			t.Errorf("search %q: %s lacks %s", q, b, want)
		}
		if want == "" && strings.Contains(b, "/reports/r2/") {
			t.Errorf("search %q still finds the old text: %s", q, b)
		}
	}
}

// TestScheduleReloads: a publication whose publishDate comes while the
// content is served appears then, without any file changing.
func TestScheduleReloads(t *testing.T) {
	dir := t.TempDir()
	at := time.Now().Add(1500 * time.Millisecond).UTC().Truncate(time.Second).Add(time.Second)
	files := map[string]string{
		"reports/now.md":   "---\ntitle: Out now\ndate: 2022-01-13\n---\nPublished at once.\n",
		"reports/later.md": "---\ntitle: Embargoed\ndate: 2022-01-13\npublishDate: " + at.Format(time.RFC3339) + "\n---\nThe embargoed finding.\n",
	}
	for name, src := range files {
		os.MkdirAll(filepath.Join(dir, "reports"), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := server.New(server.Config{Logger: quietLogger()})
	p := pipeline.New(pipeline.Config{Content: os.DirFS(dir), Templates: os.DirFS(repo("templates")), Static: os.DirFS(repo("static")), Logger: quietLogger()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := p.Load(ctx, s.Publish); err != nil {
		t.Fatal(err)
	}
	if res := get(t, s, "GET", "/reports/later/"); time.Now().Before(at) && res.StatusCode != 404 {
		t.Fatalf("the embargoed publication is served before its time: %d", res.StatusCode)
	}
	go p.RunSchedule(ctx, s.Publish)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		res := get(t, s, "GET", "/reports/later/")
		if res.StatusCode == 200 {
			if time.Now().Before(at) {
				t.Fatal("published before its publishDate")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not published after its publishDate (%v): %d", at, res.StatusCode)
		}
	}
	if b := body(t, get(t, s, "GET", "/reports/")); !strings.Contains(b, "Embargoed") {
		t.Error("the section does not list the publication once it is out")
	}
}
