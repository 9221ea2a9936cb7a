package markdown_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"archive/internal/markdown"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestRenderGolden(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "sample.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := markdown.New(markdown.Options{}).Render(src)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "sample.html")
	if *update {
		if err := os.WriteFile(golden, []byte(doc.HTML), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), doc.HTML); diff != "" {
		t.Errorf("HTML differs from %s (-want +got):\n%s", golden, diff)
	}
	if strings.Contains(doc.HTML, "<script") || strings.Contains(doc.HTML, "<div onclick") {
		t.Error("raw HTML was passed through")
	}
}

func TestDocumentParts(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "sample.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := markdown.New(markdown.Options{}).Render(src)
	if err != nil {
		t.Fatal(err)
	}
	wantHeadings := []markdown.Heading{{Level: 2, ID: "findings", Text: "Findings"}, {Level: 3, ID: "detail", Text: "Detail"}}
	if diff := cmp.Diff(wantHeadings, doc.Headings); diff != "" {
		t.Errorf("headings (-want +got):\n%s", diff)
	}
	wantBlocks := []markdown.Block{
		{ID: "p-1", Text: "Intro with “quotes” – and an ellipsis… and a link.", Line: 1},
		{ID: "p-2", Text: "Second intro paragraph with struck text and https://example.org autolink.", Line: 3},
		{ID: "findings-p1", Text: "first item", Line: 11},
		{ID: "findings-p2", Text: "second item with a footnote", Line: 12},
		{ID: "findings-p3", Text: "A quoted paragraph.", Line: 14},
		// Raw HTML is sanitized: the script goes, the text of the div is a block.
		{ID: "detail-p1", Text: "Raw HTML is shown as text.", Line: 18},
		{ID: "detail-p2", Text: "block html", Line: 20},
		{ID: "fn:1", Text: "The footnote text.", Line: 22},
	}
	if diff := cmp.Diff(wantBlocks, doc.Blocks); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
	if !slices.ContainsFunc(doc.Links, func(l markdown.Link) bool { return l.Dest == "/letters/x/" && l.Line == 1 }) {
		t.Errorf("links = %v", doc.Links)
	}
}

func TestAllowHTML(t *testing.T) {
	doc, err := markdown.New(markdown.Options{AllowHTML: true}).Render([]byte("<aside>note</aside>\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(doc.HTML, "<aside>note</aside>") {
		t.Errorf("raw HTML not passed through when allowed: %s", doc.HTML)
	}
}

// TestAnchorsStable checks that editing or adding a paragraph in one section
// leaves the anchors of the other paragraphs unchanged.
func TestAnchorsStable(t *testing.T) {
	before := "Intro.\n\n## One\n\nA.\n\nB.\n\n## Two\n\nC.\n\nD.\n"
	edits := map[string]string{
		"paragraph edited":           strings.Replace(before, "A.", "A, now longer and corrected.", 1),
		"paragraph added in section": strings.Replace(before, "B.\n", "B.\n\nB2.\n", 1),
		"paragraph added in intro":   strings.Replace(before, "Intro.\n", "Intro.\n\nMore intro.\n", 1),
	}
	r := markdown.New(markdown.Options{})
	ids := func(src string) map[string]string {
		doc, err := r.Render([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, b := range doc.Blocks {
			m[b.Text] = b.ID
		}
		return m
	}
	base := ids(before)
	for name, after := range edits {
		got := ids(after)
		for text, id := range base {
			if text == "A." && name == "paragraph edited" {
				text = "A, now longer and corrected."
			}
			if got[text] != id {
				t.Errorf("%s: %q changed anchor %s -> %s", name, text, id, got[text])
			}
		}
	}
}

func FuzzRender(f *testing.F) {
	f.Add([]byte("# T\n\npara <script>x</script>\n\n- a\n- b\n"))
	f.Add([]byte("<script>alert(1)</script>\n\n[x](javascript:alert(1))"))
	f.Add([]byte("| a |\n|---|\n| <img src=x onerror=y> |\n\n[^1]\n\n[^1]: note"))
	r := markdown.New(markdown.Options{})
	f.Fuzz(func(t *testing.T, src []byte) {
		doc, err := r.Render(src)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToLower(doc.HTML), "<script") {
			t.Errorf("output has a script element: %q", doc.HTML)
		}
		if strings.Contains(strings.ToLower(doc.HTML), "href=\"javascript:") {
			t.Errorf("output has a javascript: link: %q", doc.HTML)
		}
	})
}

// TestAnchorLinks checks that every quotable block carries a visible link to
// its own anchor, and that the link's "¶" stays out of the text search sees.
func TestAnchorLinks(t *testing.T) {
	src := "Intro.\n\n- item one\n- item two\n  - nested\n\n1. loose\n\n   second paragraph of the item\n\n> quoted\n"
	doc, err := markdown.New(markdown.Options{}).Render([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Blocks) != 6 {
		t.Fatalf("got %d blocks, want 6: %+v", len(doc.Blocks), doc.Blocks)
	}
	for _, b := range doc.Blocks {
		link := `<a class="anchor" href="#` + b.ID + `" aria-label="Link to this paragraph">¶</a>`
		if n := strings.Count(doc.HTML, link); n != 1 {
			t.Errorf("%s: %d links to it, want 1", b.ID, n)
		}
		if strings.Contains(b.Text, "¶") {
			t.Errorf("%s: text %q holds the link", b.ID, b.Text)
		}
	}
	// The link of an item with a nested list stays beside the item's words.
	if !strings.Contains(doc.HTML, "item two\u00a0<a class=\"anchor\" href=\"#p-3\"") {
		t.Errorf("nested item's link is not after its text:\n%s", doc.HTML)
	}
}

// TestBlockTextUnescapes: a block's text is what a reader sees, so search
// finds "<b>" where the source writes "\<b>"; a code span keeps its text
// as written.
func TestBlockTextUnescapes(t *testing.T) {
	doc, err := markdown.New(markdown.Options{}).Render([]byte("Write \\<b> and \\*stars\\* but `a\\*b` as code.\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := doc.Blocks[0].Text, `Write <b> and *stars* but a\*b as code.`; got != want {
		t.Errorf("text %q, want %q", got, want)
	}
}
