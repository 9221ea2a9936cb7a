package site_test

import (
	"bytes"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"archive/internal/content"
	"archive/internal/site"
)

func loadContent(t *testing.T, fsys fs.FS) *content.Site {
	t.Helper()
	cs, problems, err := content.Load(fsys, content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if errs := problems.Errors(); len(errs) > 0 {
		t.Fatalf("content errors: %v", errs)
	}
	return cs
}

// parse parses the templates and static files anew, as watch mode does on
// every reload.
func parse(t *testing.T, templates, static fs.FS) (*site.Templates, *site.Assets) {
	t.Helper()
	tmpl, err := site.ParseTemplates(templates)
	if err != nil {
		t.Fatal(err)
	}
	assets, err := site.LoadAssets(static)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl, assets
}

// copyDir is a copy of the files of a folder, for a test to edit.
func copyDir(t *testing.T, dir string, patterns ...string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, pattern := range patterns {
		names, _ := fs.Glob(os.DirFS(dir), pattern)
		for _, name := range names {
			b, err := os.ReadFile(dir + "/" + name)
			if err != nil {
				t.Fatal(err)
			}
			fsys[name] = &fstest.MapFile{Data: b}
		}
	}
	return fsys
}

func samePage(a, b *site.Page) bool {
	return a.Status == b.Status && a.ContentType == b.ContentType && a.ETag == b.ETag && a.Origin == b.Origin &&
		bytes.Equal(a.Body, b.Body) && bytes.Equal(a.Gzip, b.Gzip) && (a.Gzip == nil) == (b.Gzip == nil)
}

// rebuiltAsBuilt rebuilds prev for cs, and fails unless the pages are
// those a fresh Build of cs makes.
func rebuiltAsBuilt(t *testing.T, prev *site.Site, cs *content.Site, tmpl *site.Templates, assets *site.Assets, pdfs map[string]site.PDFInfo) *site.Site {
	t.Helper()
	got, err := site.Rebuild(prev, cs, tmpl, assets, pdfs)
	if err != nil {
		t.Fatal(err)
	}
	want, err := site.Build(cs, tmpl, assets, pdfs)
	if err != nil {
		t.Fatal(err)
	}
	samePages(t, want, got)
	return got
}

// samePages fails unless got has the pages of want, field by field.
func samePages(t *testing.T, want, got *site.Site) {
	t.Helper()
	for url, w := range want.Pages {
		g, ok := got.Pages[url]
		if !ok {
			t.Errorf("%s is missing", url)
		} else if !samePage(w, g) {
			t.Errorf("%s differs:\nwant %d %q %s origin %v gzip %d bytes\n%s\ngot  %d %q %s origin %v gzip %d bytes\n%s",
				url, w.Status, w.ContentType, w.ETag, w.Origin, len(w.Gzip), w.Body, g.Status, g.ContentType, g.ETag, g.Origin, len(g.Gzip), g.Body)
		}
	}
	for url := range got.Pages {
		if _, ok := want.Pages[url]; !ok {
			t.Errorf("%s should not be there", url)
		}
	}
	if !samePage(want.NotFound, got.NotFound) {
		t.Errorf("NotFound differs")
	}
}

// TestRebuild changes one input at a time and checks that Rebuild makes the
// pages a fresh Build makes, taking over from the previous site every page
// that stayed the same (the same *Page, neither rendered nor compressed
// again) and only those.
func TestRebuild(t *testing.T) {
	// The report lists the letter as related, so that the letter's title
	// shows on the report's page too.
	base := testContent("")
	base["reports/detained/index.md"].Data = bytes.Replace(base["reports/detained/index.md"].Data,
		[]byte("translationKey:"), []byte("related: [letters/to-interpol]\ntranslationKey:"), 1)
	pdfs := map[string]site.PDFInfo{"reports/detained/report.pdf": {Pages: 12}}

	// inputs are what a test case may change.
	type inputs struct {
		files fstest.MapFS
		pdfs  map[string]site.PDFInfo
		edit  func(*content.Site) // for what content files cannot say
	}
	tests := []struct {
		name   string
		change func(*inputs)
		// pages that must be new, and pages that must be taken over
		changed, kept []string
		// how many publications' entries in lists are rendered anew: those
		// of the publications that changed (-1: not checked)
		items int
	}{{
		name:   "nothing",
		change: func(*inputs) {},
		kept:   []string{"/reports/detained/", "/"},
		items:  0,
	}, {
		name: "a publication's title",
		change: func(in *inputs) {
			f := in.files["letters/to-interpol/index.md"]
			f.Data = bytes.Replace(f.Data, []byte(`"Open letter"`), []byte(`"Open letter to INTERPOL"`), 1)
		},
		changed: []string{
			"/letters/to-interpol/", "/letters/to-interpol/cite.bib", "/letters/to-interpol/cite.ris",
			"/", "/letters/", "/tags/interpol/", "/archive/2022/", "/feed.atom", "/letters/feed.json",
			"/reports/detained/", // related
		},
		kept:  []string{"/reports/detained-zh/", "/reports/detained/cite.bib", "/tags/extradition/", "/archive/2023/", "/checksums.txt", "/sitemap.xml"},
		items: 1,
	}, {
		name:    "a PDF's page count",
		change:  func(in *inputs) { in.pdfs["reports/detained/report.pdf"] = site.PDFInfo{Pages: 13} },
		changed: []string{"/reports/detained/"},
		kept:    []string{"/reports/detained-zh/", "/reports/detained/cite.bib", "/"},
		items:   1,
	}, {
		name:    "an attachment's bytes",
		change:  func(in *inputs) { in.files["reports/detained/report.pdf"].Data = []byte("%PDF-1.4 still not really") },
		changed: []string{"/reports/detained/", "/checksums.txt", "/feed.atom"},
		kept:    []string{"/letters/to-interpol/", "/reports/detained-zh/"},
		items:   1,
	}, {
		name: "a new translation",
		change: func(in *inputs) {
			in.files["reports/detained-fr/index.md"] = &fstest.MapFile{Data: []byte("---\ntitle: \"Détenus à l'étranger\"\ndate: 2023-05-07\nlang: fr\ntranslationKey: detained\n---\nParagraphe.\n")}
		},
		changed: []string{"/reports/detained/", "/reports/detained-zh/", "/reports/detained-ar/", "/reports/detained-fr/"},
		kept:    []string{"/letters/to-interpol/"},
		items:   1,
	}, {
		name: "a file that takes a citation's name",
		change: func(in *inputs) {
			in.edit = func(cs *content.Site) { cs.Files["letters/to-interpol/cite.bib"] = 22 } // .bib files are not served today
		},
		changed: []string{"/letters/to-interpol/", "/letters/to-interpol/cite-2.bib"},
		kept:    []string{"/letters/to-interpol/cite.ris"},
		items:   0,
	}, {
		name: "a new publication",
		change: func(in *inputs) {
			in.files["letters/to-europol/index.md"] = &fstest.MapFile{Data: []byte("---\ntitle: \"Another letter\"\ndate: 2022-02-01\ntags: [interpol]\n---\nDear EUROPOL.\n")}
		},
		changed: []string{"/letters/to-europol/", "/letters/to-europol/cite.bib", "/", "/letters/", "/tags/interpol/", "/archive/2022/", "/archive/", "/tags/", "/sitemap.xml",
			"/feed.atom", "/letters/feed.json", "/tags/interpol/feed.atom"},
		kept:  []string{"/letters/to-interpol/", "/tags/extradition/", "/archive/2023/", "/reports/feed.atom", "/tags/extradition/feed.json"},
		items: 1,
	}, {
		name:    "a publication deleted",
		change:  func(in *inputs) { delete(in.files, "reports/detained-ar/index.md") },
		changed: []string{"/reports/detained/", "/reports/detained-zh/", "/", "/reports/", "/archive/2023/", "/archive/"},
		kept:    []string{"/letters/to-interpol/", "/tags/interpol/"},
		items:   0,
	}, {
		name: "the site's title",
		change: func(in *inputs) {
			f := in.files["site.toml"]
			f.Data = bytes.Replace(f.Data, []byte("Test Archive"), []byte("Archive"), 1)
		},
		changed: []string{"/reports/detained-zh/", "/letters/to-interpol/", "/"},
		items:   -1, // all: the settings are in every key
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, assets := parse(t, os.DirFS("../../templates"), os.DirFS("../../static"))
			first, err := site.Build(loadContent(t, base), tmpl, assets, pdfs)
			if err != nil {
				t.Fatal(err)
			}
			in := inputs{files: fstest.MapFS{}, pdfs: map[string]site.PDFInfo{}}
			for name, f := range base {
				c := *f
				c.Data = bytes.Clone(f.Data)
				in.files[name] = &c
			}
			for k, v := range pdfs {
				in.pdfs[k] = v
			}
			tt.change(&in)
			cs := loadContent(t, in.files)
			if in.edit != nil {
				in.edit(cs)
			}
			tmpl, assets = parse(t, os.DirFS("../../templates"), os.DirFS("../../static"))
			got := rebuiltAsBuilt(t, first, cs, tmpl, assets, in.pdfs)
			checkTakenOver(t, first, got)
			for _, url := range tt.changed {
				if got.Pages[url] == nil || first.Pages[url] == got.Pages[url] {
					t.Errorf("%s was not rendered anew", url)
				}
			}
			for _, url := range tt.kept {
				if got.Pages[url] == nil || first.Pages[url] != got.Pages[url] {
					t.Errorf("%s was not taken over", url)
				}
			}
			if tt.items >= 0 && got.ItemsRendered != tt.items {
				t.Errorf("%d entries in lists rendered anew, want %d", got.ItemsRendered, tt.items)
			}
		})
	}
}

// checkTakenOver checks that Rebuild took over from prev exactly the pages
// that did not change, and counted them.
func checkTakenOver(t *testing.T, prev, s *site.Site) {
	t.Helper()
	rendered := 0
	for url, p := range s.Pages {
		old := prev.Pages[url]
		switch {
		case old == nil || !samePage(old, p):
			rendered++
		case old != p:
			t.Errorf("%s is the same page as before, but made anew", url)
		}
	}
	if s.Rendered != rendered || s.Reused != len(s.Pages)-rendered {
		t.Errorf("Rendered %d, Reused %d; want %d, %d", s.Rendered, s.Reused, rendered, len(s.Pages)-rendered)
	}
	if samePage(prev.NotFound, s.NotFound) != (prev.NotFound == s.NotFound) {
		t.Errorf("NotFound is the same page as before, but made anew")
	}
}

// TestRebuildTemplate edits a template, then the stylesheet, which Rebuild
// must notice although the content is the same: every HTML page is
// rendered anew.
func TestRebuildTemplate(t *testing.T) {
	cs := loadContent(t, testContent(""))
	tmpl, assets := parse(t, os.DirFS("../../templates"), os.DirFS("../../static"))
	first, err := site.Build(cs, tmpl, assets, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, folder, file, old, new string
		patterns                     []string
	}{
		{"template", "../../templates", "base.html", "Skip to content", "Skip to the text", []string{"*.html", "*.xml"}},
		{"stylesheet", "../../static", "style.css", "}", "}\n/* edited */", []string{"*.css", "*.svg"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edited := copyDir(t, tt.folder, tt.patterns...)
			f := edited[tt.file]
			f.Data = bytes.Replace(f.Data, []byte(tt.old), []byte(tt.new), 1)
			templates, static := fs.FS(os.DirFS("../../templates")), fs.FS(os.DirFS("../../static"))
			if tt.folder == "../../templates" {
				templates = edited
			} else {
				static = edited
			}
			tmpl, assets := parse(t, templates, static)
			got := rebuiltAsBuilt(t, first, cs, tmpl, assets, nil)
			checkTakenOver(t, first, got)
			html := 0
			for url, p := range got.Pages {
				if strings.HasPrefix(p.ContentType, "text/html") {
					html++
					if p == first.Pages[url] {
						t.Errorf("%s was not rendered anew", url)
					}
				}
			}
			if html < 10 || got.NotFound == first.NotFound {
				t.Errorf("%d HTML pages; NotFound kept: %v", html, got.NotFound == first.NotFound)
			}
		})
	}
}
