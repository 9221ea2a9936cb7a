package content_test

import (
	"bytes"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"archive/internal/content"
)

// TestLoadTakesOverParse loads a folder, changes it as a redeploy does and
// loads it again from the first load (in memory, and decoded as a saved
// state has it): only the changed files are parsed, and the site is the one
// a first load of the changed folder makes.
func TestLoadTakesOverParse(t *testing.T) {
	at := func(s string, sec int) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(s), ModTime: time.Unix(1e9+int64(sec), 0)}
	}
	fsys := fstest.MapFS{
		"reports/_index.md":      at("---\ntitle: Field reports\n---\nFrom the delta.\n", 1),
		"reports/a/index.md":     at("---\ntitle: Charts\ndate: 2022-01-13\ntags: [Water]\n---\n![chart](chart.png) and [b](/reports/b/)\n", 2),
		"reports/a/chart.png":    at("png", 3),
		"reports/a/notes.txt":    at("private", 4),
		"reports/b.md":           at("---\ntitle: Coasts\ndate: 2022-02-13\nrelated: [reports/a]\naliases: [/old/b.html]\n---\nThe estuary.\n", 5),
		"reports/draft.md":       at("---\ntitle: Fire\ndate: 2022-03-13\ndraft: true\n---\nThe volcano.\n", 6),
		"reports/later.md":       at("---\ntitle: Later\ndate: 2022-04-13\npublishDate: 2999-01-01\n---\nThe steppe.\n", 7),
		"reports/moved.md":       at("---\nredirect: /reports/b/\n---\n", 8),
		"about.md":               at("---\ntitle: About\nmenu: main\n---\nWho we are.\n", 9),
		"documents/plan.pdf":     at("%PDF-1.4", 10),
		"documents/plan.pdf.md":  at("---\ntitle: The plan\n---\nWhat we will do.\n", 11),
		"reports/removed.md":     at("---\ntitle: Ice\ndate: 2022-05-13\n---\nThe glacier.\n", 12),
		"reports/unchanged-1.md": at("---\ntitle: One\ndate: 2021-01-13\n---\nOne [link](https://example.org/).\n", 13),
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	first, problems, err := content.Load(fsys, content.Options{Now: now})
	if err != nil || len(problems.Errors()) > 0 {
		t.Fatal(err, problems)
	}
	if first.Parsed != 10 || first.TakenOver != 0 {
		t.Errorf("first load: parsed %d, took over %d", first.Parsed, first.TakenOver)
	}

	fsys["reports/b.md"] = at("---\ntitle: Coasts\ndate: 2022-02-13\nrelated: [reports/a]\n---\nThe lagoon.\n", 20)
	fsys["reports/draft.md"] = at("---\ntitle: Fire\ndate: 2022-03-13\n---\nThe volcano.\n", 21)
	fsys["reports/new.md"] = at("---\ntitle: Tundra\ndate: 2023-01-13\n---\nThe tundra.\n", 22)
	delete(fsys, "reports/removed.md")
	// Touched, not changed: read again, not parsed.
	fsys["reports/unchanged-1.md"] = at(string(fsys["reports/unchanged-1.md"].Data), 23)

	want, _, err := content.Load(fsys, content.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var enc, parsed bytes.Buffer
	if err := first.Encode(&enc); err != nil {
		t.Fatal(err)
	}
	if err := first.EncodeParsed(&parsed); err != nil {
		t.Fatal(err)
	}
	decoded, err := content.Decode(&enc, fsys)
	if err != nil {
		t.Fatal(err)
	}
	if err := decoded.DecodeParsed(&parsed); err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string]content.Options{
		"in memory":   {Now: now, Previous: first},
		"saved state": {Now: now, Previous: decoded, LazyBodies: true},
	} {
		got, problems, err := content.Load(fsys, opts)
		if err != nil || len(problems.Errors()) > 0 {
			t.Fatal(name, err, problems)
		}
		if got.Parsed != 3 || got.TakenOver != 7 { // b, draft, new
			t.Errorf("%s: parsed %d, took over %d, want 3 and 7", name, got.Parsed, got.TakenOver)
		}
		if opts.LazyBodies {
			// The bodies that are rendered or indexed again are parsed then.
			for _, p := range append(got.Publications, got.Pages...) {
				if err := got.ParseBody(p); err != nil {
					t.Fatal(err)
				}
			}
		}
		if diff := cmp.Diff(summary(want), summary(got)); diff != "" {
			t.Errorf("%s: the site differs from a first load's (-want +got):\n%s", name, diff)
		}
	}
}

// summary is what a load decides, for comparing two.
func summary(s *content.Site) map[string]any {
	pubs := map[string]any{}
	for _, p := range append(append(append([]*content.Publication{}, s.Publications...), s.Pages...), s.Documents...) {
		var atts []string
		for _, a := range p.Attachments {
			atts = append(atts, a.Path+" "+a.URL+" "+a.SHA256)
		}
		var related []string
		for _, r := range p.Related {
			related = append(related, r.URL)
		}
		html := ""
		if p.Doc != nil && !p.Document { // a sidecar's body is only its summary
			html = p.Doc.HTML
		}
		pubs[p.URL] = []any{p.Title, p.Summary, p.Date, p.Tags, p.Source, p.SourceSHA256, p.Image, atts, related, html, p.InMenu}
	}
	var menu []string
	for _, p := range s.Menu {
		menu = append(menu, p.URL)
	}
	return map[string]any{"pubs": pubs, "files": s.Files, "redirects": s.Redirects, "sections": s.Sections,
		"hash": s.Hash, "menu": menu, "next": s.NextChange, "withheld": s.Withheld}
}
