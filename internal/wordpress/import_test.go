package wordpress

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"archive/internal/content"
)

const (
	siteExport  = "testdata/site.xml"
	siteUploads = "testdata/uploads"
	corpus      = "../../../shared/corpus/wordpress/themeunittestdata.wordpress.xml"
)

func importInto(t *testing.T, out string, opts Options) *Report {
	t.Helper()
	opts.OutDir = out
	r, err := Import(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func reportText(r *Report) string {
	var b bytes.Buffer
	r.Print(&b)
	return b.String()
}

// load loads the folder as the archive does and fails on any error.
func load(t *testing.T, dir string) (*content.Site, content.Problems) {
	t.Helper()
	fsys, err := content.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	site, problems, err := content.Load(fsys, content.Options{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems.Errors() {
		t.Errorf("content error: %s", p)
	}
	return site, problems
}

// tree lists every file of dir: Markdown and the manifest in full, other
// files by size and SHA-256.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".md") || strings.HasSuffix(p, ".json") {
			fmt.Fprintf(&b, "-- %s --\n%s", filepath.ToSlash(rel), data)
		} else {
			s := sha256.Sum256(data)
			fmt.Fprintf(&b, "-- %s -- %d bytes, sha256 %s\n", filepath.ToSlash(rel), len(data), hex.EncodeToString(s[:]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestImportSite imports testdata/site.xml, which holds one of each thing
// the importer handles, and compares the report and every file written
// with testdata/site.golden.
func TestImportSite(t *testing.T) {
	out := t.TempDir()
	r := importInto(t, out, Options{Exports: []string{siteExport}, UploadsDir: siteUploads})
	got := "-- report --\n" + reportText(r) + tree(t, out)
	const golden = "testdata/site.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if want, err := os.ReadFile(golden); err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	} else if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", golden, diff)
	}

	site, _ := load(t, out)
	var urls []string
	for _, p := range append(slices.Clone(site.Publications), site.Pages...) {
		urls = append(urls, p.URL)
	}
	slices.Sort(urls)
	want := []string{"/about-2/open-letter/", "/about/", "/about/staff/", "/reports/detained-abroad/", "/reports/被拘留/", "/search-2/"}
	if !slices.Equal(urls, want) {
		t.Errorf("published: %q, want %q", urls, want)
	}
	report := site.ByURL["/reports/detained-abroad/"]
	if report == nil || len(report.Attachments) != 1 || report.Attachments[0].Title != "Full report (PDF)" || report.Attachments[0].Size == 0 {
		t.Fatalf("the report's attachments: %+v", report)
	}
	if len(report.Authors) != 1 || report.Authors[0] != "Alice Chen" || !slices.Equal(report.Tags, []string{"extradition", "interpol"}) {
		t.Errorf("authors %q, tags %q", report.Authors, report.Tags)
	}
	if zh := site.ByURL["/reports/被拘留/"]; zh == nil || zh.Lang != "zh" || !strings.Contains(string(zh.Body), "Write to us at the office.") {
		t.Errorf("the Chinese post (its slug decoded, its language from Polylang, its reusable block in place): %+v", zh)
	}
	for from, to := range map[string]string{
		"/2023/05/04/detained-abroad/": "/reports/detained-abroad/",
		"/2023/06/01/被拘留/":             "/reports/被拘留/",
		"/?p=10":                       "/reports/detained-abroad/",
		"/?page_id=30":                 "/about/",
	} {
		if got := site.Redirects[from]; got != to {
			t.Errorf("redirect %s -> %q, want %s", from, got, to)
		}
	}
	for _, name := range []string{"reports/detained-abroad/detained-abroad.pdf", "reports/detained-abroad/cell.png"} {
		if _, ok := site.Files[name]; !ok {
			t.Errorf("%s is not served", name)
		}
	}
	if len(r.Missing) != 1 || !strings.HasSuffix(r.Missing[0].URL, "/annex-lost.pdf") || !strings.HasPrefix(r.Missing[0].Item, "post 10 ") {
		t.Errorf("missing: %+v", r.Missing)
	}
}

// TestImportAgain imports twice into one folder: the second import changes
// not a byte; a file edited since is kept and named, a deleted one is not
// written again, and -force puts both back.
func TestImportAgain(t *testing.T) {
	out := t.TempDir()
	opts := Options{Exports: []string{siteExport}, UploadsDir: siteUploads}
	first := importInto(t, out, opts)
	before := tree(t, out)
	mtimes := modTimes(t, out)
	time.Sleep(20 * time.Millisecond) // a rewrite would show in the times

	second := importInto(t, out, opts)
	if second.Posts.Written+second.Pages.Written+second.Files.Written != 0 || second.Posts.Unchanged != first.Posts.Written ||
		second.Pages.Unchanged != first.Pages.Written || second.Files.Unchanged != first.Files.Written {
		t.Errorf("second import:\n%s", reportText(second))
	}
	if after := tree(t, out); after != before {
		t.Errorf("the second import changed files:\n%s", cmp.Diff(before, after))
	}
	if got := modTimes(t, out); !maps2Equal(got, mtimes) {
		t.Errorf("the second import rewrote files")
	}

	edited := filepath.Join(out, "reports", "detained-abroad", "index.md")
	b, _ := os.ReadFile(edited)
	b = append(b, "\nA correction by staff.\n"...)
	if err := os.WriteFile(edited, b, 0o644); err != nil {
		t.Fatal(err)
	}
	deleted := filepath.Join(out, "about", "staff.md")
	if err := os.Remove(deleted); err != nil {
		t.Fatal(err)
	}
	third := importInto(t, out, opts)
	wantKept := []Kept{{"about/staff.md", "deleted since the last import"}, {"reports/detained-abroad/index.md", "edited since the last import"}}
	if !slices.Equal(third.Kept, wantKept) {
		t.Errorf("kept: %+v, want %+v", third.Kept, wantKept)
	}
	if text := reportText(third); !strings.Contains(text, "reports/detained-abroad/index.md: edited since the last import") {
		t.Errorf("the report does not name the edited file:\n%s", text)
	}
	if now, _ := os.ReadFile(edited); !bytes.Equal(now, b) {
		t.Errorf("the edit was overwritten")
	}
	if _, err := os.Stat(deleted); err == nil {
		t.Errorf("the deleted page was written again")
	}
	// Still edited: a fourth import keeps it too.
	if fourth := importInto(t, out, opts); len(fourth.Kept) != 2 {
		t.Errorf("fourth import kept %+v", fourth.Kept)
	}

	opts.Force = true
	forced := importInto(t, out, opts)
	if len(forced.Kept) != 0 || forced.Posts.Written != 1 || forced.Pages.Written != 1 {
		t.Errorf("-force:\n%s", reportText(forced))
	}
	if after := tree(t, out); after != before {
		t.Errorf("-force did not restore the import:\n%s", cmp.Diff(before, after))
	}
}

// TestImportBesideStaffFiles imports into a content folder that already has
// an about page and a reports section of staff's own: neither is touched,
// the imported page takes another name, and posts join the section.
func TestImportBesideStaffFiles(t *testing.T) {
	out := t.TempDir()
	staff := map[string]string{
		"about.md":                 "---\ntitle: About the archive\n---\nOurs.\n",
		"reports/index.md":         "---\ntitle: Reports\n---\nOur reports.\n",
		"reports/earlier/index.md": "---\ntitle: Earlier\ndate: 2020-01-01\n---\nAn earlier report.\n",
	}
	for name, data := range staff {
		p := filepath.Join(out, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := importInto(t, out, Options{Exports: []string{siteExport}, UploadsDir: siteUploads})
	for name, data := range staff {
		if b, _ := os.ReadFile(filepath.Join(out, filepath.FromSlash(name))); string(b) != data {
			t.Errorf("%s was changed", name)
		}
	}
	for _, name := range []string{"about-2.md", "about-2/staff.md", "reports/detained-abroad/index.md"} {
		if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(name))); err != nil {
			t.Errorf("%s: %v\n%s", name, err, reportText(r))
		}
	}
	load(t, out)
}

func TestImportSection(t *testing.T) {
	out := t.TempDir()
	importInto(t, out, Options{Exports: []string{siteExport}, UploadsDir: siteUploads, Section: "news"})
	site, _ := load(t, out)
	if len(site.Sections) != 1 || site.Sections[0] != "news" {
		t.Errorf("sections %q, want [news]", site.Sections)
	}
	for _, bad := range []string{"a/b", "search", "_x", "index"} {
		if _, err := Import(Options{Exports: []string{siteExport}, OutDir: t.TempDir(), Section: bad}); err == nil {
			t.Errorf("-section %q: no error", bad)
		}
	}
}

// TestImportCorpus imports WordPress's own theme unit test export: every
// item loads without an error, and a second import changes nothing.
func TestImportCorpus(t *testing.T) {
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("corpus not found: %v", err)
	}
	out := t.TempDir()
	r := importInto(t, out, Options{Exports: []string{corpus}})
	if r.Posts.Written != 58 || r.Pages.Written != 21 || r.Skipped["nav_menu_item"] != 70 {
		t.Errorf("report:\n%s", reportText(r))
	}
	site, problems := load(t, out)
	if len(site.Publications) != 55 || len(site.Pages) != 21 {
		t.Errorf("%d publications and %d pages, want 55 and 21", len(site.Publications), len(site.Pages))
	}
	for _, p := range problems.Warnings() {
		if !strings.Contains(p.Message, "no date: served as an undated page") {
			t.Errorf("unexpected warning: %s", p)
		}
	}
	for _, want := range []string{"classic/draft/index.md", "classic/template-password-protected/index.md", "unpublished/scheduled/index.md"} {
		if !slices.ContainsFunc(site.Withheld, func(w content.Withheld) bool { return w.Path == want }) {
			t.Errorf("%s is not withheld", want)
		}
	}
	for path, want := range map[string]string{
		"/2013/01/11/markup-html-tags-and-formatting/": "/classic/markup-html-tags-and-formatting/",
		"/wp-6-1-font-size-scale/":                     "/6-1/wp-6-1-font-size-scale/",
		"/?p=1178":                                     "/classic/markup-html-tags-and-formatting/",
	} {
		if got := site.Redirects[path]; got != want {
			t.Errorf("redirect %s -> %q, want %s", path, got, want)
		}
	}
	if p := site.ByURL["/greek/επίπεδο-2/επίπεδο-3/"]; p == nil {
		t.Errorf("the Greek page of the third level is not at its decoded path")
	}
	before := tree(t, out)
	again := importInto(t, out, Options{Exports: []string{corpus}})
	if again.Posts.Written+again.Pages.Written != 0 || tree(t, out) != before {
		t.Errorf("the second import changed files:\n%s", reportText(again))
	}
}

func modTimes(t *testing.T, dir string) map[string]time.Time {
	t.Helper()
	m := map[string]time.Time{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				m[p] = info.ModTime()
			}
		}
		return err
	})
	return m
}

func maps2Equal(a, b map[string]time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !b[k].Equal(v) {
			return false
		}
	}
	return true
}

// TestImportTwoSites imports two sites into one folder, one after the
// other: the second takes other names where the first has them and leaves
// the first's files alone; both import again without a change.
func TestImportTwoSites(t *testing.T) {
	src, err := os.ReadFile(siteExport)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other.xml")
	if err := os.WriteFile(other, bytes.ReplaceAll(src, []byte("rights.example.org"), []byte("exiles.example.net")), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	importInto(t, out, Options{Exports: []string{siteExport}, UploadsDir: siteUploads})
	first := tree(t, out)
	r := importInto(t, out, Options{Exports: []string{other}, UploadsDir: siteUploads})
	if len(r.Kept) != 0 || r.Posts.Written != 7 || r.Pages.Written != 4 {
		t.Errorf("second site:\n%s", reportText(r))
	}
	if b, _ := os.ReadFile(filepath.Join(out, "reports", "detained-abroad-3", "index.md")); !bytes.Contains(b, []byte("exiles.example.net")) {
		t.Errorf("the second site's report is not at reports/detained-abroad-3/")
	}
	both := tree(t, out)
	for _, ex := range []string{siteExport, other} {
		if again := importInto(t, out, Options{Exports: []string{ex}, UploadsDir: siteUploads}); again.Posts.Written+again.Pages.Written+again.Files.Written != 0 {
			t.Errorf("%s again:\n%s", ex, reportText(again))
		}
	}
	if tree(t, out) != both || !strings.Contains(both, strings.Split(first, "-- about/staff.md --")[1][:40]) {
		t.Errorf("importing again changed files")
	}
	site, _ := load(t, out)
	if len(site.Publications) != 6 {
		t.Errorf("%d publications, want 6", len(site.Publications))
	}
}

// TestImportKeepsAddresses imports again with another -section: what the
// first import wrote stays where it is, since its addresses are published.
func TestImportKeepsAddresses(t *testing.T) {
	out := t.TempDir()
	opts := Options{Exports: []string{siteExport}, UploadsDir: siteUploads}
	importInto(t, out, opts)
	before := tree(t, out)
	opts.Section = "news"
	r := importInto(t, out, opts)
	if tree(t, out) != before || r.Posts.Unchanged != 7 {
		t.Errorf("a second import with -section moved posts:\n%s", reportText(r))
	}
	if !strings.Contains(reportText(r), "stays at reports/detained-abroad/index.md, where an earlier import wrote it, though it would now be news/detained-abroad/") {
		t.Errorf("the report does not say the post stays:\n%s", reportText(r))
	}
}
