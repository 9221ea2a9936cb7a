package main_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"archive/internal/archivetest"
)

// TestRedeployFromCache runs `serve -content -cache` as a deploy does, then
// again after a publication was added, one changed and one removed: the
// second start parses and indexes those alone, and serves and finds the
// content as it now is.
func TestRedeployFromCache(t *testing.T) {
	dir, cache := t.TempDir(), t.TempDir()
	mtime := time.Unix(1e9, 0)
	write := func(name, title, body string) {
		t.Helper()
		file := filepath.Join(dir, "reports", name)
		os.MkdirAll(filepath.Dir(file), 0o755)
		src := "---\ntitle: " + title + "\ndate: 2022-01-13\n---\n" + body + "\n"
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		mtime = mtime.Add(time.Second)
		os.Chtimes(file, mtime, mtime)
	}
	for i, name := range []string{"a", "b", "c", "d", "e", "f"} {
		// Texts of different lengths score differently: the order of hits
		// that tie is bleve's, which numbers an updated index otherwise
		// than one built anew.
		write(name+".md", "Report "+name, "The delta floods each spring, says report "+name+strings.Repeat(", again", i)+".")
	}
	write("changed.md", "Coasts", "The estuary silts every autumn.")
	write("removed.md", "Ice", "The glacier retreats.")
	// A bundle with a PDF, and later a second one with the same file: its
	// pages are indexed once and become hits of both.
	pdf, err := os.ReadFile("../../content/letters/open-letter-to-interpol/open-letter-to-interpol.pdf")
	if err != nil {
		t.Fatal(err)
	}
	bundle := func(slug string) {
		t.Helper()
		write(slug+"/index.md", "Letter "+slug, "The letter, attached.")
		if err := os.WriteFile(filepath.Join(dir, "reports", slug, "letter.pdf"), pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(filepath.Join(dir, "reports", slug, "letter.pdf"), mtime, mtime)
	}
	bundle("letter")

	serve := func(name, cache string) *archivetest.Server {
		t.Helper()
		s, _, err := archivetest.Serve(context.Background(), archivetest.Config{
			Bin: archive(t), Args: []string{"-content", dir, "-cache", cache}, Log: filepath.Join(t.TempDir(), name+".log"),
		}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Stop)
		// The next start finds the state once it is saved.
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
			if h, err := s.Health(context.Background()); err == nil && h.Timings.Source == "state" {
				return s
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the state was not cached:\n%s", name, s.Log())
			}
		}
	}
	serve("first", cache).Stop()

	write("changed.md", "Coasts", "The lagoon silts every autumn.")
	os.Remove(filepath.Join(dir, "reports", "removed.md"))
	write("added.md", "Tundra", "The tundra thaws.")
	bundle("letter-again")
	s := serve("redeploy", cache)
	for path, want := range map[string]int{"/reports/added/": 200, "/reports/changed/": 200, "/reports/removed/": 404, "/reports/a/": 200} {
		if code, _ := fetch(t, s.URL+path); code != want {
			t.Errorf("%s: %d, want %d", path, code, want)
		}
	}
	for q, want := range map[string]string{"tundra": "/reports/added/", "lagoon": "/reports/changed/", "estuary": "", "glacier": "", "delta": "/reports/f/"} {
		code, body := fetch(t, s.URL+"/api/search?q="+q)
		if code != 200 || want == "" && strings.Contains(body, `"url"`) || want != "" && !strings.Contains(body, want) {
			t.Errorf("search %s: %d, want %q:\n%.300s", q, code, want, body)
		}
	}
	if _, body := fetch(t, s.URL+"/reports/"); strings.Contains(body, "/reports/removed/") || !strings.Contains(body, "/reports/added/") {
		t.Error("the section's list does not show the redeployed content")
	}
	if _, body := fetch(t, s.URL+"/feed.atom"); strings.Contains(body, "glacier") || !strings.Contains(body, "Tundra") {
		t.Error("the feed does not show the redeployed content")
	}

	// As a start into an empty cache answers, byte for byte.
	cold := serve("cold", t.TempDir())
	took := regexp.MustCompile(`"took_ms":[0-9.e-]+`)
	for _, p := range []string{"/", "/reports/", "/reports/added/", "/reports/changed/", "/reports/removed/", "/reports/letter/",
		"/reports/letter-again/", "/reports/letter-again/letter.pdf", "/feed.atom", "/feed.json", "/sitemap.xml", "/checksums.txt",
		"/api/search?q=lagoon", "/api/search?q=estuary", "/api/search?q=delta", "/api/search?q=%22preventive+notice%22&source=pdf",
		"/search?q=%22preventive+notice%22"} {
		wantCode, want := fetch(t, cold.URL+p)
		code, got := fetch(t, s.URL+p)
		want, got = took.ReplaceAllString(strings.ReplaceAll(want, cold.URL, ""), ""), took.ReplaceAllString(strings.ReplaceAll(got, s.URL, ""), "")
		if code != wantCode || got != want {
			t.Errorf("%s: the redeployed server answers %d, %d bytes; a cold start %d, %d bytes", p, code, len(got), wantCode, len(want))
		}
	}
	if _, body := fetch(t, s.URL+"/api/search?q=%22preventive+notice%22&source=pdf"); !strings.Contains(body, "/reports/letter-again/letter.pdf") || !strings.Contains(body, "/reports/letter/letter.pdf") {
		t.Errorf("the PDF is not a hit of both bundles:\n%.600s", body)
	}
	// The log is written out in the background: all of it once stopped.
	s.Stop()
	log := s.Log()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`msg="content loaded" .*parsed=3 taken_over=7`), // changed, added, letter-again
		regexp.MustCompile(`msg="search index updated" reindexed=3 removed=1`),
	} {
		if !want.MatchString(log) {
			t.Errorf("the log lacks %s:\n%s", want, log)
		}
	}
}
