package content_test

import (
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"archive/internal/content"
	"archive/internal/markdown"
)

// TestHugoSite loads a site written for Hugo and Jekyll (testdata/hugo):
// every Markdown ending, pages outside sections, _index.md, Hugo's and
// Jekyll's front matter, file-name dates and permalinks, with one warning
// per unknown field name.
func TestHugoSite(t *testing.T) {
	fsys, err := content.OpenDir("testdata/hugo")
	if err != nil {
		t.Fatal(err)
	}
	site, problems, err := content.Load(fsys, content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if errs := problems.Errors(); len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	var warnings []string
	for _, p := range problems.Warnings() {
		warnings = append(warnings, p.String())
	}
	wantWarnings := []string{
		"docs/faq.md:1: warning: no date: served as an undated page at /docs/faq/ but not listed among the publications; add a date (date: 2022-01-13) to publish it",
		`post/2016-9-20-what-it-costs.markdown:5: warning: unknown field "template" is kept but not used (in 2 files)`,
		"post/figure.md:5: warning: image /post/figure/missing.png: no such file on this site",
		`post/figure.md:9: warning: shortcode "plotly" is not one the archive knows: it is left out and the text around it kept`,
	}
	if !slices.Equal(warnings, wantWarnings) {
		t.Errorf("warnings:\n got %q\nwant %q", warnings, wantWarnings)
	}

	var urls []string
	for _, p := range site.Publications {
		urls = append(urls, p.URL)
	}
	// Where dates tie, Hugo's weight orders (tie-b weighs 1, tie-a 2).
	if want := []string{"/post/html-report/", "/post/figure/", "/post/bundle-post/", "/zh/post/bundle-post/", "/reports/fixed-address/", "/post/tie-b/", "/post/tie-a/", "/post/second/", "/post/what-it-costs/"}; !slices.Equal(urls, want) {
		t.Errorf("publications %q, want %q", urls, want)
	}
	first := site.ByURL["/post/what-it-costs/"]
	if first == nil || !first.Date.Equal(time.Date(2016, 9, 20, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("the Jekyll file name's date is not read: %+v", first)
	}
	second := site.ByURL["/post/second/"]
	if second.Image != "/images/chart.svg" || !slices.Equal(second.Keywords, []string{"sanctions regime"}) {
		t.Errorf("images and keywords: %q %q", second.Image, second.Keywords)
	}
	if got := site.Categories["field-reports"]; len(got) != 2 || site.CategoryLabel("field-reports") != "Field Reports" || len(site.Categories["data"]) != 1 {
		t.Errorf("categories: %v, label %q", site.Categories, site.CategoryLabel("field-reports"))
	}
	if second.Summary != "The summary Hugo calls description." || len(second.Updated) != 1 || second.Updated[0].Format(time.DateOnly) != "2017-02-01" {
		t.Errorf("description and lastmod: summary %q, updated %v", second.Summary, second.Updated)
	}
	if fixed := site.ByURL["/reports/fixed-address/"]; fixed == nil || fixed.Summary != "Jekyll calls the summary excerpt." {
		t.Errorf("url and excerpt: %+v", fixed)
	}
	for _, u := range []string{"/about/", "/docs/faq/"} {
		if p := site.ByURL[u]; p == nil || !slices.Contains(site.Pages, p) {
			t.Errorf("%s is not a page", u)
		}
	}
	if sp := site.SectionPages["post"]; sp == nil || sp.Title != "Blog" {
		t.Errorf("post/_index.md does not give the section its title: %+v", sp)
	}
	for from, to := range map[string]string{
		"/2016/09/20/what-it-costs/":     "/post/what-it-costs/",
		"/2016/09/20/what-it-costs.html": "/post/what-it-costs/",
		"/2017/01/02/second/":            "/post/second/",
		"/2019/05/06/bundle-post/":       "/post/bundle-post/",
	} {
		if got := site.Redirects[from]; got != to {
			t.Errorf("old URL %s redirects to %q, want %s", from, got, to)
		}
	}
	// index.zh.md is the bundle's Chinese version: under /zh/, linked as a
	// translation, its relative links reaching the bundle's files.
	en, zh := site.ByURL["/post/bundle-post/"], site.ByURL["/zh/post/bundle-post/"]
	if zh == nil || zh.Lang != "zh" || zh.TranslationKey == "" || zh.TranslationKey != en.TranslationKey {
		t.Fatalf("translation by file name: %+v", zh)
	}
	if len(zh.Attachments) != 1 || zh.Attachments[0].URL != "/zh/post/bundle-post/report.pdf" || site.FileAliases["zh/post/bundle-post/report.pdf"] != "post/bundle-post/report.pdf" {
		t.Errorf("the translation's file: %+v, aliases %v", zh.Attachments, site.FileAliases)
	}
	// Raw HTML is rendered sanitized, its text a quotable block; an .html
	// content file is a publication; shortcodes are left out.
	fig := site.ByURL["/post/figure/"]
	if fig == nil || !strings.Contains(fig.Doc.HTML, "<figcaption>Detentions rose in 2019.</figcaption>") || strings.Contains(fig.Doc.HTML, "<script") || strings.Contains(fig.Doc.HTML, "plotly") {
		t.Errorf("raw HTML and shortcodes: %+v", fig)
	} else if !slices.ContainsFunc(fig.Doc.Blocks, func(b markdown.Block) bool { return strings.Contains(b.Text, "Detentions rose") }) {
		t.Errorf("the figure's caption is not a quotable block: %+v", fig.Doc.Blocks)
	}
	if h := site.ByURL["/post/html-report/"]; h == nil || len(h.Doc.Blocks) != 2 || h.Doc.Blocks[1].ID != "findings-p1" {
		t.Errorf("the .html content file: %+v", h)
	}
	// Hugo's static/ copied in: served from the top of the site.
	if site.FileAliases["images/chart.svg"] != "static/images/chart.svg" || site.Files["static/images/chart.svg"] == 0 {
		t.Errorf("static/images/chart.svg is not served at /images/chart.svg: %v", site.FileAliases)
	}
	if _, ok := site.Files["static/old.html"]; ok {
		t.Error("an HTML file of static/ is served")
	}
	if site.ByURL["/post/kept-back/"] != nil {
		t.Error("published: false is published")
	}
	testDocuments(t, site)
}

// testDocuments checks the standalone PDFs of testdata/hugo/documents: one
// with a sidecar, one held back by a draft sidecar, two titled and dated
// by what their PDFs say (SetPDFInfo) or their file names.
func testDocuments(t *testing.T, site *content.Site) {
	t.Helper()
	type doc struct{ url, title, date string }
	list := func() []doc {
		var out []doc
		for _, d := range site.Documents {
			date := ""
			if !d.Undated {
				date = d.Date.Format(time.DateOnly)
			}
			if !d.Document || len(d.Attachments) != 1 || d.Attachments[0].URL != d.URL || d.Section != "documents" {
				t.Errorf("document %s: %+v", d.URL, d)
			}
			out = append(out, doc{d.URL, d.Title, date})
		}
		return out
	}
	want := []doc{
		{"/documents/briefing.pdf", "Briefing for the committee", "2021-06-01"},
		{"/documents/annual-report-2019.pdf", "Annual report 2019", ""},
		{"/documents/Field_notes-harbour.pdf", "Field notes harbour", ""},
	}
	if got := list(); !slices.Equal(got, want) {
		t.Errorf("documents as loaded:\n got %q\nwant %q", got, want)
	}
	if b := site.ByURL["/documents/briefing.pdf"]; b == nil || b.Summary != "What the committee asked for in June, and our answers." {
		t.Errorf("the sidecar's body is not the summary: %+v", b)
	}
	if !slices.Contains(site.Sections, "documents") || site.SectionPages["documents"] == nil {
		t.Errorf("documents/ is no section with its _index.md: %v", site.Sections)
	}
	for _, f := range []string{"documents/withdrawn.pdf", "documents/withdrawn.pdf.md"} {
		if _, ok := site.Files[f]; ok || !slices.ContainsFunc(site.Withheld, func(w content.Withheld) bool { return w.Path == f }) {
			t.Errorf("%s of a draft sidecar is published, or not named as withheld", f)
		}
	}
	site.SetPDFInfo(map[string]content.PDFMeta{
		"documents/annual-report-2019.pdf":  {Title: "Annual Report 2019: Detentions", Created: time.Date(2019, 3, 15, 11, 0, 0, 0, time.UTC), Pages: 2},
		"documents/Field_notes-harbour.pdf": {Title: "Microsoft Word - field notes.docx", Pages: 1},
		"documents/briefing.pdf":            {Title: "Draft 3", Created: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Pages: 1},
	})
	want = []doc{
		{"/documents/briefing.pdf", "Briefing for the committee", "2021-06-01"},
		{"/documents/annual-report-2019.pdf", "Annual Report 2019: Detentions", "2019-03-15"},
		{"/documents/Field_notes-harbour.pdf", "Field notes harbour", ""},
	}
	if got := list(); !slices.Equal(got, want) {
		t.Errorf("documents with what their PDFs say:\n got %q\nwant %q", got, want)
	}
	if a := site.ByURL["/documents/annual-report-2019.pdf"].Attachments[0]; a.Pages != 2 || a.SHA256 == "" {
		t.Errorf("the document's file: %+v", a)
	}
}

// TestHugoProblems: mistakes in the Hugo fields are errors naming file and line.
func TestHugoProblems(t *testing.T) {
	for name, tt := range map[string]struct {
		files map[string]string
		want  string
	}{
		"slug with a slash":   {map[string]string{"post/a.md": "---\ntitle: A\ndate: 2022-01-13\nslug: a/b\n---\n"}, `post/a.md:4: slug "a/b" must be one path segment`},
		"url to another host": {map[string]string{"post/a.md": "---\ntitle: A\ndate: 2022-01-13\nurl: https://evil.example/\n---\n"}, `post/a.md:4: url "https://evil.example/" must be a path of this site`},
		"unknown token":       {map[string]string{"site.toml": "[permalinks]\npost = \"/:yr/:slug/\"\n", "post/a.md": goodYAML}, "site.toml: permalinks: post = \"/:yr/:slug/\": unknown token :yr"},
		"bad lastmod":         {map[string]string{"post/a.md": "---\ntitle: A\ndate: 2022-01-13\nlastmod: soon\n---\n"}, `post/a.md:4: lastmod: date "soon" is not a date`},
		"sidecar of nothing":  {map[string]string{"documents/gone.pdf.md": "---\ntitle: Gone\n---\n"}, "documents/gone.pdf.md: gone.pdf.md describes documents/gone.pdf, which does not exist"},
		"sidecar in a bundle": {map[string]string{"post/a/index.md": goodYAML, "post/a/r.pdf": "%PDF-1.4", "post/a/r.pdf.md": "---\ntitle: R\n---\n"}, "post/a/r.pdf.md: post/a/r.pdf is an attachment of post/a/index.md"},
		"sidecar bad date":    {map[string]string{"documents/r.pdf": "%PDF-1.4", "documents/r.pdf.md": "---\ndate: someday\n---\n"}, `documents/r.pdf.md:2: date: date "someday" is not a date`},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for f, data := range tt.files {
				writeFile(t, dir, f, data)
			}
			fsys, err := content.OpenDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, problems, err := content.Load(fsys, content.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range problems.Errors() {
				got = append(got, p.String())
			}
			if len(got) != 1 || !strings.HasPrefix(got[0], tt.want) {
				t.Errorf("errors %q, want one starting %q", got, tt.want)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, data string) {
	t.Helper()
	p := dir + "/" + name
	if err := os.MkdirAll(p[:strings.LastIndex(p, "/")], 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestEveryFileAccountedFor walks real content folders and checks that the
// loader gives every file a fate: published (a served file, the source of
// a publication, page, section page or document), the settings, withheld
// with a reason, or skipped for a hidden name or an ignore pattern.
func TestEveryFileAccountedFor(t *testing.T) {
	for _, dir := range []string{"testdata/hugo", "../../content", "../../../shared/corpus/markdown"} {
		t.Run(path.Base(dir), func(t *testing.T) {
			fsys, err := content.OpenDir(dir)
			if err != nil {
				t.Skipf("%s: %v", dir, err) // the shared corpus is not in every checkout
			}
			site, _, err := content.Load(fsys, content.Options{})
			if err != nil {
				t.Fatal(err)
			}
			fate := map[string]string{content.SettingsFile: "settings"}
			for f := range site.Files {
				fate[f] = "served"
			}
			for _, list := range [][]*content.Publication{site.Publications, site.Pages, site.Documents, slices.Collect(maps.Values(site.SectionPages))} {
				for _, p := range list {
					fate[p.Source] = "source"
				}
			}
			for _, f := range site.RedirectStubs {
				fate[f] = "redirect"
			}
			for _, w := range site.Withheld {
				if w.Reason == "" {
					t.Errorf("%s is withheld without a reason", w.Path)
				}
				fate[w.Path] = "withheld"
			}
			var unaccounted []string
			err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				for _, part := range strings.Split(p, "/") {
					if (strings.HasPrefix(part, ".") || strings.HasPrefix(part, "_")) && part != "_index.md" {
						return nil // hidden, counted in site.Hidden
					}
				}
				if path.Ext(p) == ".go" && !strings.Contains(p, "/") {
					return nil // the Go file that embeds the folder in the binary
				}
				if fate[p] == "" {
					unaccounted = append(unaccounted, p)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// What is left must be what the ignore patterns skipped.
			for _, f := range unaccounted {
				if !slices.ContainsFunc(site.Settings.Ignore, func(pat string) bool { ok, _ := path.Match(pat, path.Base(f)); return ok }) {
					t.Errorf("%s has no fate: not served, not a source, not withheld, not ignored", f)
				}
			}
			if len(unaccounted) != site.Ignored {
				t.Errorf("%d files skipped by ignore patterns, site says %d: %q", len(unaccounted), site.Ignored, unaccounted)
			}
			if len(fate) < 3 {
				t.Fatalf("%s: nothing loaded", dir)
			}
		})
	}
}
