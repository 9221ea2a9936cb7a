package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	s := server.New(server.Config{
		Content:   os.DirFS(dir),
		Templates: os.DirFS(repo("templates")),
		Static:    os.DirFS(repo("static")),
		Watch:     true,
		Logger:    quietLogger(),
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	go s.Watch(ctx, 20*time.Millisecond)

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

func TestWatchOffByDefault(t *testing.T) {
	s := shippedServer(t)
	if b := body(t, get(t, s, "GET", "/")); strings.Contains(b, "<script src") {
		t.Error("a page outside watch mode carries a script")
	}
	if res := get(t, s, "GET", "/_watch/reload.js"); res.StatusCode != 404 {
		t.Errorf("/_watch/reload.js outside watch mode: %d, want 404", res.StatusCode)
	}
}
