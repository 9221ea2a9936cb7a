package markdown_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"archive/internal/markdown"
)

// checkGolden compares got with testdata/name, which -update rewrites.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("HTML differs from %s (-want +got):\n%s", golden, diff)
	}
}

// checkSafe fails if out has markup that runs, styles or embeds. It reads the
// tags rather than searching the text, since a reader may quote "onload=" or
// "javascript:" in prose, which the page then shows escaped.
func checkSafe(t *testing.T, out string) {
	t.Helper()
	if strings.Contains(strings.ToLower(out), "<script") {
		t.Errorf("output has a script element: %q", out)
	}
	forbidden := map[string]bool{"script": true, "style": true, "iframe": true, "object": true, "embed": true,
		"form": true, "input": true, "button": true, "textarea": true, "svg": true, "math": true, "link": true,
		"meta": true, "base": true, "frame": true, "frameset": true}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if forbidden[tok.Data] {
			t.Errorf("output has a %s element: %q", tok.Data, out)
		}
		for _, a := range tok.Attr {
			if strings.HasPrefix(a.Key, "on") || a.Key == "style" || a.Key == "srcdoc" || a.Key == "formaction" {
				t.Errorf("output has a %s attribute on %s: %q", a.Key, tok.Data, out)
			}
			// Browsers ignore white space and control characters in a scheme.
			val := strings.Map(func(r rune) rune {
				if r <= ' ' {
					return -1
				}
				return r
			}, strings.ToLower(a.Val))
			if !urlAttrs[a.Key] {
				continue
			}
			for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
				if strings.HasPrefix(val, scheme) {
					t.Errorf("output has a %s URL in %s=%q: %q", scheme, a.Key, a.Val, out)
				}
			}
		}
	}
}

var urlAttrs = map[string]bool{"href": true, "src": true, "srcset": true, "action": true, "formaction": true,
	"cite": true, "poster": true, "background": true, "data": true, "xlink:href": true}

// checkAnchors fails unless every block's id is on exactly one element and
// its "¶" link appears exactly once.
func checkAnchors(t *testing.T, doc *markdown.Document) {
	t.Helper()
	for _, b := range doc.Blocks {
		if strings.HasPrefix(b.ID, "fn:") {
			continue // goldmark writes footnotes, without a ¶ link
		}
		link := `<a class="anchor" href="#` + b.ID + `" aria-label="Link to this paragraph">¶</a>`
		if n := strings.Count(doc.HTML, link); n != 1 {
			t.Errorf("%s: %d links to it, want 1", b.ID, n)
		}
		if n := strings.Count(doc.HTML, ` id="`+b.ID+`"`); n != 1 {
			t.Errorf("%s: on %d elements, want 1", b.ID, n)
		}
	}
}

// TestRawHTMLInMarkdown renders figures, tables, a <p> and a <details> written
// in HTML: each that holds text is a block with its anchor, hostile parts go.
func TestRawHTMLInMarkdown(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "rawhtml.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := markdown.New(markdown.Options{}).Render(src)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "rawhtml.html", doc.HTML)
	checkSafe(t, doc.HTML)
	checkAnchors(t, doc)
	wantBlocks := []markdown.Block{
		{ID: "p-1", Text: "Intro paragraph with NGO and emphasis.", Line: 1},
		{ID: "p-2", Text: "Map of the camps Camps visited in 2021", Line: 3},
		// The blank line inside the table split it in two HTML blocks; they are one.
		{ID: "p-3", Text: "Cases by year Year Cases 2021 12 Total 12", Line: 8},
		{ID: "methods-p1", Text: "Interviews were held in safe places.", Line: 18},
		{ID: "methods-p2", Text: "How we counted", Line: 20},
		{ID: "methods-p3", Text: "Each case was checked twice.", Line: 23},
		{ID: "methods-p4", Text: "A note kept as Markdown.", Line: 28},
	}
	if diff := cmp.Diff(wantBlocks, doc.Blocks); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
	wantLinks := []markdown.Link{{Dest: "/img/camps.png", Line: 4}, {Dest: "https://example.org/survey", Line: 5}}
	if diff := cmp.Diff(wantLinks, doc.Links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
	wantShortcodes := []markdown.Shortcode{{Name: "ref", Line: 1}, {Name: "note", Line: 27}, {Name: "plotly", Line: 37}}
	if diff := cmp.Diff(wantShortcodes, doc.Shortcodes); diff != "" {
		t.Errorf("shortcodes (-want +got):\n%s", diff)
	}
	for _, want := range []string{
		`<img src="/img/camps.png" alt="Map of the camps" width="640">`,
		`<a href="https://example.org/survey" rel="nofollow noreferrer">2021</a>`,
		`<td colspan="2">Total 12</td>`,
		"<details>", "</details>",
	} {
		if !strings.Contains(doc.HTML, want) {
			t.Errorf("output lacks %s", want)
		}
	}
}

// TestRenderHTML renders a small article written in HTML.
func TestRenderHTML(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "article.in.html"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := markdown.New(markdown.Options{}).RenderHTML(src)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "article.html", doc.HTML)
	checkSafe(t, doc.HTML)
	checkAnchors(t, doc)
	wantHeadings := []markdown.Heading{{Level: 2, ID: "methods", Text: "Methods"}, {Level: 2, ID: "findings--notes", Text: "Findings & notes"}}
	if diff := cmp.Diff(wantHeadings, doc.Headings); diff != "" {
		t.Errorf("headings (-want +got):\n%s", diff)
	}
	wantBlocks := []markdown.Block{
		{ID: "p-1", Text: "Opening paragraph with a letter and a trap.", Line: 3},
		{ID: "p-2", Text: "Second paragraph over two lines.", Line: 4},
		{ID: "p-3", Text: "An unclosed paragraph.", Line: 6},
		{ID: "p-4", Text: "Closes it.", Line: 7},
		{ID: "p-5", Text: "Bare text with bold after it.", Line: 8},
		{ID: "methods-p1", Text: "First method", Line: 11},
		{ID: "methods-p2", Text: "Second method nested", Line: 12},
		{ID: "methods-p3", Text: "Chart Figure 1", Line: 16},
		{ID: "findings--notes-p1", Text: "We were not allowed to speak.", Line: 19},
	}
	if diff := cmp.Diff(wantBlocks, doc.Blocks); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
	// Links are reported as written, the dropped ones too, for the loader to check.
	wantLinks := []markdown.Link{
		{Dest: "/letters/x/", Line: 3}, {Dest: "javascript:alert(1)", Line: 3},
		{Dest: "data:image/png;base64,AAAA", Line: 16}, {Dest: "/img/a.png", Line: 20},
	}
	if diff := cmp.Diff(wantLinks, doc.Links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
	// The ¶ of an item with a nested list stays beside the item's words.
	if !strings.Contains(doc.HTML, "Second method\n    \u00a0<a class=\"anchor\" href=\"#methods-p2\"") {
		t.Errorf("nested item's link is not after its text:\n%s", doc.HTML)
	}
}

// TestHostileHTML feeds known attacks to both paths, as a block of its own
// and inline in a paragraph; none may survive.
func TestHostileHTML(t *testing.T) {
	tests := []struct {
		name, html string
		keep       string // text that must stay visible, if any
	}{
		{"script", `<script>alert(1)</script>`, ""},
		{"script in a div", `<div>before <script>alert(1)</script> after</div>`, "after"},
		{"split script tag", `<scr<script>ipt>alert(1)</script>`, ""},
		{"onerror", `<img src="x.png" onerror="alert(1)" alt="pic">`, ""},
		{"event handler on a paragraph", `<p onclick="alert(1)" onmouseover=alert(2)>click</p>`, "click"},
		{"javascript href", `<a href="javascript:alert(1)">trap</a>`, "trap"},
		{"entity-encoded javascript href", `<a href="&#106;avascript:alert(1)">trap</a>`, "trap"},
		{"javascript with a tab", "<a href=\"java\tscript:alert(1)\">trap</a>", "trap"},
		{"vbscript href", `<a href="vbscript:msgbox(1)">trap</a>`, "trap"},
		{"data image", `<img src="data:image/png;base64,AAAA" alt="chart">`, ""},
		{"data link", `<a href="data:text/html,<script>alert(1)</script>">x</a>`, ""},
		{"style attribute", `<span style="background:url(javascript:alert(1))">styled</span>`, "styled"},
		{"style element", `<style>body{display:none}</style>`, ""},
		{"iframe", `<iframe src="https://evil.example/"></iframe>`, ""},
		{"object and embed", `<object data="x.swf"></object><embed src="x.swf">`, ""},
		{"form", `<form action="https://evil.example/"><input name="pw" onfocus="x()" autofocus></form>`, ""},
		{"svg onload", `<svg onload="alert(1)"><circle r="1"/></svg>`, ""},
		{"unclosed tags", `<div><table><tr><td><img src=x onerror=alert(1)`, ""},
		{"nested quotes", `<a href="/ok" title='"><script>alert(1)</script>'>ok</a>`, "ok"},
		{"comment", `<!-- <script>alert(1)</script> -->`, ""},
		{"unclosed comment", `<!-- <script>alert(1)</script>`, ""},
		{"meta refresh", `<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`, ""},
		{"base href", `<base href="javascript:alert(1)//">`, ""},
	}
	r := markdown.New(markdown.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, src := range []string{tt.html + "\n", "Inline " + tt.html + " in text.\n", "- item " + tt.html + "\n"} {
				doc, err := r.Render([]byte(src))
				if err != nil {
					t.Fatal(err)
				}
				checkSafe(t, doc.HTML)
				if !strings.Contains(doc.HTML, tt.keep) {
					t.Errorf("Render(%q) lost %q: %s", src, tt.keep, doc.HTML)
				}
			}
			doc, err := r.RenderHTML([]byte(tt.html))
			if err != nil {
				t.Fatal(err)
			}
			checkSafe(t, doc.HTML)
			if !strings.Contains(doc.HTML, tt.keep) {
				t.Errorf("RenderHTML lost %q: %s", tt.keep, doc.HTML)
			}
		})
	}
}

// TestTrustedHTML checks that Options.AllowHTML passes raw HTML through and
// still makes its text a block.
func TestTrustedHTML(t *testing.T) {
	r := markdown.New(markdown.Options{AllowHTML: true})
	for _, tt := range []struct {
		name   string
		render func([]byte) (*markdown.Document, error)
	}{{"Render", r.Render}, {"RenderHTML", r.RenderHTML}} {
		doc, err := tt.render([]byte(`<aside class="note" onclick="track()">Trusted note</aside>` + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(doc.HTML, `<aside class="note" onclick="track()">Trusted note</aside>`) {
			t.Errorf("%s: trusted HTML changed: %s", tt.name, doc.HTML)
		}
		want := []markdown.Block{{ID: "p-1", Text: "Trusted note", Line: 1}}
		if diff := cmp.Diff(want, doc.Blocks); diff != "" {
			t.Errorf("%s: blocks (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestShortcodes checks that Hugo shortcodes and Liquid tags leave the page,
// keep what they enclose and every line number, and are named once each.
func TestShortcodes(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		wantBlocks []markdown.Block
		wantNames  []markdown.Shortcode
	}{
		{
			name:       "inline and self-closing",
			src:        "See {{< ref \"a.md\" >}} and {{< gist user 1 />}}.\n",
			wantBlocks: []markdown.Block{{ID: "p-1", Text: "See and .", Line: 1}},
			wantNames:  []markdown.Shortcode{{Name: "ref", Line: 1}, {Name: "gist", Line: 1}},
		},
		{
			name:       "paired, inner text kept as Markdown",
			src:        "{{% note %}}\nA *noted* point.\n{{% /note %}}\n\nAfter.\n",
			wantBlocks: []markdown.Block{{ID: "p-1", Text: "A noted point.", Line: 2}, {ID: "p-2", Text: "After.", Line: 5}},
			wantNames:  []markdown.Shortcode{{Name: "note", Line: 1}},
		},
		{
			name:       "at the start of a line, not turned into code",
			src:        "{{< highlight >}}Text on the tag line.{{< /highlight >}}\n",
			wantBlocks: []markdown.Block{{ID: "p-1", Text: "Text on the tag line.", Line: 1}},
			wantNames:  []markdown.Shortcode{{Name: "highlight", Line: 1}},
		},
		{
			name:       "arguments over several lines",
			src:        "{{< plotly\n  json=\"a.json\"\n  height=\"400px\" >}}\n\nChart above.\n",
			wantBlocks: []markdown.Block{{ID: "p-1", Text: "Chart above.", Line: 5}},
			wantNames:  []markdown.Shortcode{{Name: "plotly", Line: 1}},
		},
		{
			name:       "liquid include and whitespace control",
			src:        "Intro.\n\n{% include figure.html src=\"a.png\" %}\n{%- if site.x -%}Shown{%- endif -%}\n",
			wantBlocks: []markdown.Block{{ID: "p-1", Text: "Intro.", Line: 1}, {ID: "p-2", Text: "Shown", Line: 4}},
			wantNames:  []markdown.Shortcode{{Name: "include", Line: 3}, {Name: "if", Line: 4}},
		},
		{
			name:       "liquid raw keeps its inner text",
			src:        "{% raw %}Use {{< x >}} and {% y %} here.{% endraw %}\n",
			wantBlocks: []markdown.Block{{ID: "p-1", Text: "Use {{< x >}} and {% y %} here.", Line: 1}},
			wantNames:  []markdown.Shortcode{{Name: "raw", Line: 1}},
		},
		{
			name:       "liquid comment drops its inner text",
			src:        "{% comment %}\nDraft note.\n{% endcomment %}\n\nKept.\n",
			wantBlocks: []markdown.Block{{ID: "p-1", Text: "Kept.", Line: 5}},
			wantNames:  []markdown.Shortcode{{Name: "comment", Line: 1}},
		},
		{
			name: "not tags: unclosed, across a blank line, Liquid output",
			src:  "A {{< ref with no end.\n\nB {% open\n\nclose %} and {{ page.title }} and 100{%}.\n",
			wantBlocks: []markdown.Block{
				{ID: "p-1", Text: "A {{< ref with no end.", Line: 1},
				{ID: "p-2", Text: "B {% open", Line: 3},
				{ID: "p-3", Text: "close %} and {{ page.title }} and 100{%}.", Line: 5},
			},
		},
	}
	r := markdown.New(markdown.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := r.Render([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantBlocks, doc.Blocks); diff != "" {
				t.Errorf("blocks (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNames, doc.Shortcodes); diff != "" {
				t.Errorf("shortcodes (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzRenderHTML(f *testing.F) {
	f.Add([]byte(`<p onclick="x()">a</p><scr<script>ipt>alert(1)</script>`))
	f.Add([]byte(`<h2 id="m">M</h2><ul><li>a<ul><li>b</ul></ul><figure><img src="data:x" alt=y></figure>`))
	f.Add([]byte("<p>a\n<p>b\n<div>c <a href=\"javascript:x\">d</a>\ntext {{< ref >}} {% raw %}<b>{% endraw %}"))
	f.Add([]byte(`<table><tr><td style="x">1<td>2</table><!-- <script> --><svg onload=x>`))
	r := markdown.New(markdown.Options{})
	f.Fuzz(func(t *testing.T, src []byte) {
		doc, err := r.RenderHTML(src)
		if err != nil {
			t.Fatal(err)
		}
		checkSafe(t, doc.HTML)
		lines := strings.Count(string(src), "\n") + 1
		for _, b := range doc.Blocks {
			if !strings.Contains(doc.HTML, ` id="`+b.ID+`"`) {
				t.Errorf("block %s has no element with its id: %q", b.ID, doc.HTML)
			}
			if b.Line < 1 || b.Line > lines {
				t.Errorf("block %s on line %d of %d", b.ID, b.Line, lines)
			}
		}
	})
}
