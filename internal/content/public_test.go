package content_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"archive/internal/content"
)

// TestWhatIsPublic loads a tree with drafts, scheduled and expired
// publications, hidden, ignored and stray files, and checks that only what
// readers may see is published, and that the rest is named with a reason.
func TestWhatIsPublic(t *testing.T) {
	pub := func(extra, body string) *fstest.MapFile {
		return file("---\ntitle: T\ndate: 2022-01-13\n" + extra + "---\n" + body + "\n")
	}
	fsys := fstest.MapFS{
		"site.toml":                     file("ignore = [\"*.psd\", \"letters/old\"]\n"),
		"letters/open/index.md":         pub("", "![chart](chart.png) and [the data](/data/figures.csv)."),
		"letters/open/letter.pdf":       file("%PDF-1.4"),
		"letters/open/chart.png":        file("png"),
		"letters/open/notes.txt":        file("production note"),
		"letters/open/sub/scan.pdf":     file("%PDF-1.4 sub"),
		"letters/secret-draft/index.md": pub("draft: true\n", "secret"),
		"letters/secret-draft/emb.pdf":  file("%PDF-1.4 embargoed"),
		"letters/later/index.md":        pub("publishDate: 2099-05-01\n", "later"),
		"letters/later/later.pdf":       file("%PDF-1.4 later"),
		"letters/gone/index.md":         pub("expiryDate: 2001-01-01\n", "gone"),
		"letters/gone/gone.pdf":         file("%PDF-1.4 gone"),
		"letters/jekyll.md":             pub("published: false\n", "jekyll draft"),
		"letters/jekyll.pdf":            file("%PDF-1.4 jekyll"),
		"letters/notes.txt":             file("stray note"),
		"letters/cover.psd":             file("psd"),
		"letters/old/index.md":          pub("", "old"),
		"letters/_private.pdf":          file("%PDF-1.4 private"),
		".git/config":                   file("[core]"),
		"_drafts/x/index.md":            pub("", "underscore"),
		"data/figures.csv":              file("a,b"),
		"documents/standalone.pdf":      file("%PDF-1.4 standalone"),
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	site, problems, err := content.Load(fsys, content.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if errs := problems.Errors(); len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	wantFiles := []string{"data/figures.csv", "documents/standalone.pdf", "letters/open/chart.png", "letters/open/letter.pdf"}
	if got := slices.Sorted(maps.Keys(site.Files)); !slices.Equal(got, wantFiles) {
		t.Errorf("served files:\n got %q\nwant %q", got, wantFiles)
	}
	var urls []string
	for _, p := range site.Publications {
		urls = append(urls, p.URL)
	}
	if !slices.Equal(urls, []string{"/letters/open/"}) {
		t.Errorf("publications: %q", urls)
	}
	for _, u := range []string{"/letters/secret-draft/", "/letters/later/", "/letters/gone/", "/letters/jekyll/", "/letters/old/"} {
		if site.ByURL[u] != nil {
			t.Errorf("%s is published", u)
		}
	}
	withheld := map[string]string{}
	for _, w := range site.Withheld {
		withheld[w.Path] = w.Reason
	}
	for f, reason := range map[string]string{
		"letters/open/notes.txt":        "no attachment",
		"letters/open/sub/scan.pdf":     "no attachment",
		"letters/secret-draft/index.md": "a draft",
		"letters/secret-draft/emb.pdf":  "a draft",
		"letters/later/index.md":        "scheduled for 2099-05-01",
		"letters/later/later.pdf":       "scheduled",
		"letters/gone/gone.pdf":         "expired on 2001-01-01",
		"letters/jekyll.md":             "a draft",
		"letters/jekyll.pdf":            "named like letters/jekyll.md",
		"letters/notes.txt":             "no page links to it",
	} {
		if !strings.Contains(withheld[f], reason) {
			t.Errorf("%s withheld for %q, want a reason with %q", f, withheld[f], reason)
		}
	}
	if site.Hidden != 3 || site.Ignored != 2 {
		t.Errorf("hidden %d, ignored %d; want 3 and 2", site.Hidden, site.Ignored)
	}
	if want := time.Date(2099, 5, 1, 0, 0, 0, 0, time.UTC); !site.NextChange.Equal(want) {
		t.Errorf("next change %v, want %v", site.NextChange, want)
	}

	// Once the scheduled time has come, the publication and its file are
	// published, and the site is a different one.
	later, _, err := content.Load(fsys, content.Options{Now: time.Date(2099, 5, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if later.ByURL["/letters/later/"] == nil || later.Files["letters/later/later.pdf"] == 0 {
		t.Errorf("the scheduled publication is not published after its time")
	}
	if later.Hash == site.Hash {
		t.Errorf("the site hash does not change when a scheduled publication is published")
	}
}

// TestSymlinksStayInside checks that a symbolic link out of the content
// folder is neither published nor readable, and one inside it is followed.
func TestSymlinksStayInside(t *testing.T) {
	dir := t.TempDir()
	bundle := filepath.Join(dir, "letters", "x")
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(outside, []byte("secret"), 0o644)
	os.WriteFile(filepath.Join(bundle, "index.md"), []byte("---\ntitle: X\ndate: 2022-01-13\n---\n[a](passwd.txt) [b](env.txt) [c](secret.txt) [d](copy.pdf)\n"), 0o644)
	os.WriteFile(filepath.Join(bundle, "real.pdf"), []byte("%PDF-1.4"), 0o644)
	for link, target := range map[string]string{
		"passwd.txt": "/etc/passwd",
		"env.txt":    "/proc/self/environ",
		"secret.txt": outside,
		"up.pdf":     "../../../up.pdf",
		"copy.pdf":   "real.pdf",
		"folder":     "/etc",
	} {
		if err := os.Symlink(target, filepath.Join(bundle, link)); err != nil {
			t.Fatal(err)
		}
	}
	fsys, err := content.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	site, problems, err := content.Load(fsys, content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(maps.Keys(site.Files)), []string{"letters/x/copy.pdf", "letters/x/real.pdf"}; !slices.Equal(got, want) {
		t.Errorf("served files %q, want %q", got, want)
	}
	warned := map[string]bool{}
	for _, p := range problems.Warnings() {
		warned[p.Path] = strings.Contains(p.Message, "symbolic link")
	}
	for _, f := range []string{"passwd.txt", "env.txt", "secret.txt", "up.pdf", "folder"} {
		if !warned["letters/x/"+f] {
			t.Errorf("no warning names the symbolic link letters/x/%s: %v", f, problems)
		}
	}
	// Even asked directly, the folder does not read through the link.
	if _, err := fsys.Open("letters/x/passwd.txt"); err == nil {
		t.Errorf("the content folder opens a link to /etc/passwd")
	}
}
