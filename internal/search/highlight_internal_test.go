package search

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// analysersOnly is an Index with the analysers and nothing indexed: all
// Highlight needs.
func analysersOnly(t *testing.T) *Index {
	t.Helper()
	m, err := newMapping()
	if err != nil {
		t.Fatal(err)
	}
	return newIndex(m, slog.New(slog.DiscardHandler))
}

func TestHighlight(t *testing.T) {
	x := analysersOnly(t)
	tests := []struct {
		name, src, hl, lang string
		want                string
		marks               int
		words               []string
	}{
		{"word, any case", `<p>A Red Notice, a red notice.</p>`, "notice", "en",
			`<p>A Red <mark id="hl-1">Notice</mark>, a red <mark>notice</mark>.</p>`, 2, []string{"Notice"}},
		{"whole words only", `<p>noticeable notice</p>`, "notice", "fr",
			`<p>noticeable <mark id="hl-1">notice</mark></p>`, 1, nil},
		{"English stems", `<p>Notices were noticed.</p>`, "notice", "en",
			`<p><mark id="hl-1">Notices</mark> were <mark>noticed</mark>.</p>`, 2, []string{"Notices", "noticed"}},
		{"a region of English is English", `<p>Notices were noticed.</p>`, "notice", "en_US",
			`<p><mark id="hl-1">Notices</mark> were <mark>noticed</mark>.</p>`, 2, nil},
		{"other languages exactly", `<p>Notices notice</p>`, "notice", "fr",
			`<p>Notices <mark id="hl-1">notice</mark></p>`, 1, nil},
		{"accents folded", `<p>Secretary-General Jürgen Stock</p>`, "JURGEN", "en",
			`<p>Secretary-General <mark id="hl-1">Jürgen</mark> Stock</p>`, 1, nil},
		{"Ł folds to l", `<p>Letter from Łódź.</p>`, "lodz", "pl",
			`<p>Letter from <mark id="hl-1">Łódź</mark>.</p>`, 1, []string{"Łódź"}},
		{"ß folds to ss", `<p>Königstraße 12</p>`, "konigstrasse", "de",
			`<p><mark id="hl-1">Königstraße</mark> 12</p>`, 1, nil},
		{"prefix", `<p>INTERPOL’s and Interpol</p>`, "interp*", "en",
			`<p><mark id="hl-1">INTERPOL’s</mark> and <mark>Interpol</mark></p>`, 2, nil},
		{"phrase", `<p>red notice, notice red, red  notice</p>`, `"red notice"`, "en",
			`<p><mark id="hl-1">red notice</mark>, notice red, <mark>red  notice</mark></p>`, 2, []string{"red notice"}},
		{"phrase across tags", `<p>a red <em>notice</em></p>`, `"red notice"`, "en",
			`<p>a <mark id="hl-1">red</mark> <em><mark>notice</mark></em></p>`, 1, nil},
		{"no phrase across blocks", `<p>a red</p><p>notice</p>`, `"red notice"`, "en",
			`<p>a red</p><p>notice</p>`, 0, nil},
		{"never in tags or attributes", `<p><a href="/notice" title="notice &gt; x">link</a> notice</p>`, "notice", "en",
			`<p><a href="/notice" title="notice &gt; x">link</a> <mark id="hl-1">notice</mark></p>`, 1, nil},
		{"quoted > inside a tag", `<p><a title="a>notice">x</a></p>`, "notice", "en",
			`<p><a title="a>notice">x</a></p>`, 0, nil},
		{"entities", `<p>Tom &amp; Jerry &lt;notice&gt;</p>`, `"tom jerry" notice`, "en",
			`<p><mark id="hl-1">Tom &amp; Jerry</mark> &lt;<mark>notice</mark>&gt;</p>`, 2, []string{"Tom & Jerry", "notice"}},
		{"entity inside a word", `<p>J&uuml;rgen</p>`, "jurgen", "en",
			`<p><mark id="hl-1">J&uuml;rgen</mark></p>`, 1, []string{"Jürgen"}},
		{"comments and scripts skipped", `<!-- notice --><script>notice</script><p>notice</p>`, "notice", "en",
			`<!-- notice --><script>notice</script><p><mark id="hl-1">notice</mark></p>`, 1, nil},
		{"CJK without spaces", `<p>国家安全法的通缉</p>`, "国家安全", "zh",
			`<p><mark id="hl-1">国家安全</mark>法的通缉</p>`, 1, nil},
		{"exclusions and OR are not words", `<p>china or hong kong</p>`, "-china hong OR kong", "en",
			`<p>china or <mark id="hl-1">hong</mark> <mark>kong</mark></p>`, 2, nil},
		{"overlapping terms share one mark", `<p>red notice</p>`, `"red notice" notice`, "en",
			`<p><mark id="hl-1">red notice</mark></p>`, 1, nil},
		{"the paragraph link is no word", `<p>notice <a class="anchor" href="#p-1" aria-label="Link to this paragraph">¶</a></p>`, "notice ¶", "en",
			`<p><mark id="hl-1">notice</mark> <a class="anchor" href="#p-1" aria-label="Link to this paragraph">¶</a></p>`, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ok := x.Highlight(tt.src, tt.hl, tt.lang)
			if !ok {
				t.Fatalf("Highlight(%q) found no term to look for", tt.hl)
			}
			if diff := cmp.Diff(tt.want, h.HTML); diff != "" {
				t.Errorf("Highlight(%q) (-want +got):\n%s", tt.hl, diff)
			}
			if h.Marks != tt.marks {
				t.Errorf("%d marks, want %d", h.Marks, tt.marks)
			}
			if tt.words != nil {
				if diff := cmp.Diff(tt.words, h.Words); diff != "" {
					t.Errorf("words (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestHighlightNothingToLookFor: values of hl that ask for no word mark
// nothing, however the page reads. A lone combining accent folds to
// nothing, and once marked every word of a page.
func TestHighlightNothingToLookFor(t *testing.T) {
	x := analysersOnly(t)
	const src = "<p>every word of ea page, 'ab abc</p>"
	for _, hl := range []string{"", "   ", "—", "\u0301*", "\u0301\u0301\u0301*", "'ab*", "ab*", `"unclosed`, "a\x00b"} {
		if h, ok := x.Highlight(src, hl, "en"); ok {
			t.Errorf("Highlight(%q) = %d marks (%q), want no term", hl, h.Marks, h.HTML)
		}
	}
	// Search keeps the marks as typed: "e\u0301\u0301" is no word of the
	// page, for search as for highlighting.
	if h, _ := x.Highlight(src, "e\u0301\u0301*", "en"); h.Marks != 0 {
		t.Errorf("a prefix of combining marks marked %d words", h.Marks)
	}
}

func TestHighlightMaxMarks(t *testing.T) {
	x := analysersOnly(t)
	src := "<p>" + strings.Repeat("notice ", MaxMarks+50) + "</p>"
	h, ok := x.Highlight(src, "notice", "en")
	if !ok || h.Marks != MaxMarks || !h.More {
		t.Fatalf("%d marks (more: %v), want %d and more", h.Marks, h.More, MaxMarks)
	}
	if n := strings.Count(h.HTML, "<mark"); n != MaxMarks {
		t.Errorf("%d marks in the HTML, want %d", n, MaxMarks)
	}
}

// BenchmarkHighlight marks a common word on a page of 2,000 words.
func BenchmarkHighlight(b *testing.B) {
	m, err := newMapping()
	if err != nil {
		b.Fatal(err)
	}
	x := newIndex(m, slog.New(slog.DiscardHandler))
	para := "<p>The notice was served on the signatories of the <em>open letter</em>, who asked the Commission to check its files. "
	src := strings.Repeat(para+"</p>\n", 100)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		x.Highlight(src, "the", "en")
	}
}
