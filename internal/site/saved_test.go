package site_test

import (
	"bytes"
	"encoding/gob"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"archive/internal/content"
	"archive/internal/site"
)

// metadataOnly copies cs as a server starting from a build has it: every
// publication without its Markdown.
func metadataOnly(cs *content.Site) *content.Site {
	c := *cs
	copies := map[*content.Publication]*content.Publication{}
	strip := func(pubs []*content.Publication) []*content.Publication {
		out := make([]*content.Publication, len(pubs))
		for i, p := range pubs {
			q := *p
			q.Doc, q.Body = nil, nil
			out[i], copies[p] = &q, &q
		}
		return out
	}
	c.Publications, c.Pages = strip(cs.Publications), strip(cs.Pages)
	c.ByURL, c.Tags, c.Years, c.SectionPages = map[string]*content.Publication{}, map[string][]*content.Publication{}, map[int][]*content.Publication{}, map[string]*content.Publication{}
	for url, p := range cs.ByURL {
		c.ByURL[url] = copies[p]
	}
	for tag, pubs := range cs.Tags {
		for _, p := range pubs {
			c.Tags[tag] = append(c.Tags[tag], copies[p])
		}
	}
	for y, pubs := range cs.Years {
		for _, p := range pubs {
			c.Years[y] = append(c.Years[y], copies[p])
		}
	}
	for sec, p := range cs.SectionPages {
		c.SectionPages[sec] = strip([]*content.Publication{p})[0]
	}
	for _, p := range c.Publications {
		for i, r := range p.Related {
			p.Related[i] = copies[r]
		}
	}
	return &c
}

// TestOpenPages saves a built site and opens it with metadata only: every
// page must come back as it was rendered, and the site must answer as the
// built one does.
func TestOpenPages(t *testing.T) {
	for _, baseURL := range []string{"", "https://archive.example.org"} {
		t.Run("base_url="+baseURL, func(t *testing.T) {
			cs := loadContent(t, testContent(baseURL))
			tmpl, assets := parse(t, os.DirFS("../../templates"), os.DirFS("../../static"))
			pdfs := map[string]site.PDFInfo{"reports/detained/report.pdf": {Pages: 12}}
			built, err := site.Build(cs, tmpl, assets, pdfs)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := built.SavePages(dir); err != nil {
				t.Fatal(err)
			}
			opened, err := site.OpenPages(dir, metadataOnly(cs), tmpl, assets)
			if err != nil {
				t.Fatal(err)
			}
			samePages(t, built, opened)
			if diff := cmp.Diff(built.PDFs, opened.PDFs); diff != "" {
				t.Errorf("PDFs (-built +opened):\n%s", diff)
			}
			if diff := cmp.Diff(built.Data(), opened.Data()); diff != "" {
				t.Errorf("Data (-built +opened):\n%s", diff)
			}
			want, _ := built.ErrorPage(http.StatusServiceUnavailable, "Busy", "Try again.")
			got, err := opened.ErrorPage(http.StatusServiceUnavailable, "Busy", "Try again.")
			if err != nil || !samePage(want, got) {
				t.Errorf("ErrorPage differs (error %v)", err)
			}
			for url, p := range opened.Pages {
				if cap(p.Body) != len(p.Body) || cap(p.Gzip) != len(p.Gzip) {
					t.Fatalf("%s: appending to the body would write into pages.bin", url)
				}
				if p.Origin {
					if w := built.Pages[url].WithOrigin("http://h"); !samePage(w, p.WithOrigin("http://h")) {
						t.Errorf("%s: WithOrigin differs", url)
					}
				}
			}

			// An opened site serves as the previous one of a rebuild
			// (with the Markdown, as watch mode has it): every page is
			// the same, and what Rebuild cannot tell by key it takes
			// over by comparing.
			rebuilt, err := site.Rebuild(opened, cs, tmpl, assets, pdfs)
			if err != nil {
				t.Fatal(err)
			}
			samePages(t, built, rebuilt)
			checkTakenOver(t, opened, rebuilt)
			if rebuilt.Rendered != 0 {
				t.Errorf("rendered %d pages anew", rebuilt.Rendered)
			}

			// A redeploy from it that adds a publication renders the
			// entry in lists of that one alone, and takes the others
			// over from the saved state.
			files := testContent(baseURL)
			files["letters/to-europol/index.md"] = &fstest.MapFile{Data: []byte("---\ntitle: \"Another letter\"\ndate: 2026-02-01\ntags: [interpol]\n---\nDear EUROPOL.\n")}
			added := loadContent(t, files)
			redeployed := rebuiltAsBuilt(t, opened, added, tmpl, assets, pdfs)
			if redeployed.ItemsRendered != 1 {
				t.Errorf("a redeploy rendered %d entries in lists anew, want 1", redeployed.ItemsRendered)
			}
		})
	}
}

// TestOpenPagesRefuses spoils a saved site in the ways a deployment can and
// checks that OpenPages names the file at fault rather than serve wrong
// pages or crash.
func TestOpenPagesRefuses(t *testing.T) {
	cs := loadContent(t, testContent(""))
	tmpl, assets := parse(t, os.DirFS("../../templates"), os.DirFS("../../static"))
	built, err := site.Build(cs, tmpl, assets, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := t.TempDir() // the same site, saved again
	if err := built.SavePages(other); err != nil {
		t.Fatal(err)
	}
	edited := copyDir(t, "../../templates", "*.html", "*.xml")
	edited["error.html"].Data = append(edited["error.html"].Data, "\n"...)
	editedTmpl, _ := parse(t, edited, os.DirFS("../../static"))

	tests := []struct {
		name  string
		spoil func(dir string) error
		tmpl  *site.Templates
		want  string
	}{
		{"truncated pages.bin", func(dir string) error {
			name := filepath.Join(dir, "pages.bin")
			info, err := os.Stat(name)
			if err != nil {
				return err
			}
			return os.Truncate(name, info.Size()-100)
		}, tmpl, "pages.bin is "},
		{"pages.bin of another save", func(dir string) error {
			b, err := os.ReadFile(filepath.Join(other, "pages.bin"))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "pages.bin"), b, 0o644)
		}, tmpl, "pages.bin is not the file"},
		{"no pages.bin", func(dir string) error { return os.Remove(filepath.Join(dir, "pages.bin")) }, tmpl, "pages.bin: no such file"},
		{"another format version", func(dir string) error {
			var b bytes.Buffer
			gob.NewEncoder(&b).Encode(struct{ Format int }{999})
			return os.WriteFile(filepath.Join(dir, "pages.gob"), b.Bytes(), 0o644)
		}, tmpl, "pages.gob: format version 999"},
		{"pages.gob not a directory", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "pages.gob"), []byte("<html>"), 0o644)
		}, tmpl, "pages.gob: not a page directory"},
		{"truncated pages.gob", func(dir string) error {
			name := filepath.Join(dir, "pages.gob")
			info, err := os.Stat(name)
			if err != nil {
				return err
			}
			return os.Truncate(name, info.Size()/2)
		}, tmpl, "pages.gob: damaged"},
		{"other templates", func(string) error { return nil }, editedTmpl, "pages.gob: the pages were rendered with other templates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := built.SavePages(dir); err != nil {
				t.Fatal(err)
			}
			if err := tt.spoil(dir); err != nil {
				t.Fatal(err)
			}
			s, err := site.OpenPages(dir, metadataOnly(cs), tt.tmpl, assets)
			if err == nil || !strings.Contains(err.Error(), tt.want) || s != nil {
				t.Errorf("OpenPages: %v; want an error with %q", err, tt.want)
			}
		})
	}
}
