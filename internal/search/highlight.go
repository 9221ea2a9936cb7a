package search

import (
	"html"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"

	"archive/internal/whitespace"
)

// Highlighting on arrival: the page a hit links to (Hit.URL, with the hl
// parameter) marks the words the search found there. It lives here, beside
// the parser and the analysers, so that the two cannot disagree: hl is read
// by Parse, the page's text is analysed block by block with the analyser
// its language's field was indexed with (as Build analyses a publication's
// segments), and the matches are found by occurrences, as for snippets.

// MaxMarks caps the marks on one page. A reader goes from the first mark
// to the next; a word marked on every line shows nothing in particular,
// and each mark makes larger a page that no cache keeps (a hand-made hl
// that marked every word took a page from 80 KB to 189 KB).
const MaxMarks = 300

// Highlight is a fragment of HTML with a query's matches marked.
type Highlight struct {
	HTML  string // the fragment; the first mark has id="hl-1"
	Marks int    // the matches marked, at most MaxMarks
	More  bool   // the text has more matches than MaxMarks
	// Words are the distinct texts of the matches as the page writes them
	// ("Red Notices"), in the order they first stand.
	Words []string
}

// Highlight marks the matches of hl's positive terms in fragment, the HTML
// of a publication's text whose language is lang (Publication.Lang). It
// reports false when hl has no term to look for: empty, only punctuation,
// prefixes too short to search, or a query Parse refuses.
func (x *Index) Highlight(fragment, hl, lang string) (Highlight, bool) {
	q, err := Parse(hl)
	if err != nil {
		return Highlight{}, false
	}
	g := groupOf(lang)
	var units []analysed
	for _, t := range q.Positive() {
		if a := x.analyse(t, g); !a.empty() {
			units = append(units, a)
		}
	}
	if len(units) == 0 {
		return Highlight{}, false
	}
	pt := readText(fragment)
	ms := occurrences(units, pt.locations(x.analyzers[g], units))
	sort.Slice(ms, func(i, j int) bool { return ms[i].start < ms[j].start })

	h := Highlight{}
	var out strings.Builder
	out.Grow(len(fragment) + 32*min(len(ms), MaxMarks))
	written := 0 // bytes of fragment written to out
	seen := map[string]bool{}
	open := `<mark id="hl-1">` // the first mark is the banner's link target
	for i := 0; i < len(ms); {
		// Matches that overlap (a phrase and one of its words, CJK
		// bigrams) are one.
		start, end := ms[i].start, ms[i].end
		for i++; i < len(ms) && ms[i].start < end; i++ {
			end = max(end, ms[i].end)
		}
		if h.Marks == MaxMarks {
			h.More = true
			break
		}
		h.Marks++
		w := whitespace.Collapse(pt.text[start:end])
		if key := strings.ToLower(w); !seen[key] {
			seen[key] = true
			h.Words = append(h.Words, w)
		}
		for _, r := range pt.htmlRanges(start, end) {
			if r[0] < written {
				continue // an entity two matches share: marked once
			}
			out.WriteString(fragment[written:r[0]])
			out.WriteString(open)
			open = "<mark>"
			out.WriteString(fragment[r[0]:r[1]])
			out.WriteString("</mark>")
			written = r[1]
		}
	}
	out.WriteString(fragment[written:])
	h.HTML = out.String()
	return h, true
}

// pageText is the reading text of an HTML fragment, its blocks joined by
// segSep, and where each piece of it stands in the HTML.
type pageText struct {
	text   string
	blocks [][2]int // byte ranges of text, one per block
	pieces []piece  // in text order
}

// piece is a run of text from one text node: either bytes the HTML holds
// as they are, or one character reference (&amp;) decoded.
type piece struct {
	text, textEnd int // in pageText.text
	html, htmlEnd int // in the fragment
	node          int // the text node: a mark never crosses a tag
	entity        bool
}

// Elements whose text a reader reads as part of the words around them; any
// other tag ends a block, as paragraphs and list items are separate
// segments of the index.
var inlineElements = map[string]bool{
	"a": true, "abbr": true, "b": true, "bdi": true, "bdo": true, "cite": true, "code": true,
	"data": true, "del": true, "dfn": true, "em": true, "i": true, "ins": true, "kbd": true,
	"mark": true, "q": true, "s": true, "samp": true, "small": true, "span": true,
	"strong": true, "sub": true, "sup": true, "time": true, "u": true, "var": true,
}

// Elements whose content is not reading text.
var skippedElements = map[string]bool{"script": true, "style": true, "textarea": true, "svg": true}

// readText reads the text of src between its tags, skipping comments and
// elements that hold no reading text.
func readText(src string) *pageText {
	pt := &pageText{}
	var text strings.Builder
	blockStart, node := 0, 0
	endBlock := func() {
		if text.Len() > blockStart {
			pt.blocks = append(pt.blocks, [2]int{blockStart, text.Len()})
			text.WriteString(segSep)
			blockStart = text.Len()
		}
	}
	addNode := func(start, end int) {
		verbatim := start // start of the bytes not yet added as a piece
		flush := func(to int) {
			if to > verbatim {
				t := text.Len()
				text.WriteString(src[verbatim:to])
				pt.pieces = append(pt.pieces, piece{text: t, textEnd: text.Len(), html: verbatim, htmlEnd: to, node: node})
			}
		}
		for i := start; i < end; i++ {
			if src[i] != '&' {
				continue
			}
			semi := strings.IndexByte(src[i:min(end, i+32)], ';')
			if semi < 0 {
				continue
			}
			ent := src[i : i+semi+1]
			dec := html.UnescapeString(ent)
			if dec == ent {
				continue
			}
			flush(i)
			t := text.Len()
			text.WriteString(dec)
			pt.pieces = append(pt.pieces, piece{text: t, textEnd: text.Len(), html: i, htmlEnd: i + semi + 1, node: node, entity: true})
			verbatim = i + semi + 1
			i += semi
		}
		flush(end)
		node++
	}
	skip := "" // the element being skipped
	for i := 0; i < len(src); {
		lt := strings.IndexByte(src[i:], '<')
		end := len(src)
		if lt >= 0 {
			end = i + lt
		}
		if skip == "" && end > i {
			addNode(i, end)
		}
		if lt < 0 {
			break
		}
		i = end
		if strings.HasPrefix(src[i:], "<!--") {
			c := strings.Index(src[i+4:], "-->")
			if c < 0 {
				break
			}
			i += 4 + c + 3
			continue
		}
		// A tag ends at the first > outside a quoted attribute value.
		j, quote := i+1, byte(0)
		for ; j < len(src); j++ {
			c := src[j]
			if quote != 0 {
				if c == quote {
					quote = 0
				}
			} else if c == '"' || c == '\'' {
				quote = c
			} else if c == '>' {
				break
			}
		}
		name, closing := tagName(src[i+1 : min(j, len(src))])
		i = j + 1
		switch {
		case skip != "":
			if closing && name == skip {
				skip = ""
			}
		case skippedElements[name] && !closing:
			skip = name
		case !inlineElements[name]:
			endBlock()
		}
	}
	endBlock()
	pt.text = text.String()
	return pt
}

// tagName reads the name of a tag from what follows its <.
func tagName(tag string) (name string, closing bool) {
	closing = strings.HasPrefix(tag, "/")
	tag = strings.TrimPrefix(tag, "/")
	end := strings.IndexFunc(tag, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if end < 0 {
		end = len(tag)
	}
	return strings.ToLower(tag[:end]), closing
}

// locations analyses the text block by block, as Build analyses a
// publication's segments, and returns where the index terms that units may
// match stand: the search a page's text has to answer.
func (pt *pageText) locations(an analysis.Analyzer, units []analysed) termLocs {
	wanted := map[string]bool{}
	var prefixes []string
	for _, a := range units {
		for _, ts := range a.toks {
			for _, t := range ts {
				wanted[t] = true
			}
		}
		for _, c := range a.cuts {
			wanted[c] = true
		}
		if a.prefix != "" {
			prefixes = append(prefixes, a.prefix)
		}
	}
	want := func(term []byte) bool {
		if wanted[string(term)] {
			return true
		}
		for _, p := range prefixes {
			if strings.HasPrefix(string(term), p) {
				return true
			}
		}
		return false
	}
	locs := termLocs{}
	base := 0
	for _, b := range pt.blocks {
		// Analysis may change the bytes it is given (lower-casing in place).
		toks := an.Analyze([]byte(pt.text[b[0]:b[1]]))
		base = place(toks, b[0], base)
		for _, t := range toks {
			if want(t.Term) {
				locs[string(t.Term)] = append(locs[string(t.Term)], loc{pos: t.Position, start: t.Start, end: t.End})
			}
		}
	}
	for t, ls := range locs {
		locs.add(t, ls) // in order of position, which bigrams may not be
	}
	return locs
}

// htmlRanges returns the byte ranges of the fragment that hold the text
// from start to end: one per text node it crosses, each without the spaces
// at its ends.
func (pt *pageText) htmlRanges(start, end int) [][2]int {
	var out [][2]int
	i := sort.Search(len(pt.pieces), func(i int) bool { return pt.pieces[i].textEnd > start })
	for i < len(pt.pieces) && pt.pieces[i].text < end {
		first := i
		for i+1 < len(pt.pieces) && pt.pieces[i+1].node == pt.pieces[first].node && pt.pieces[i+1].text < end {
			i++
		}
		from, to := max(start, pt.pieces[first].text), min(end, pt.pieces[i].textEnd)
		for from < to {
			r, size := utf8.DecodeRuneInString(pt.text[from:])
			if !unicode.IsSpace(r) {
				break
			}
			from += size
		}
		for to > from {
			r, size := utf8.DecodeLastRuneInString(pt.text[:to])
			if !unicode.IsSpace(r) {
				break
			}
			to -= size
		}
		if from < to {
			out = append(out, [2]int{pt.htmlAt(from, false), pt.htmlAt(to, true)})
		}
		i++
	}
	return out
}

// htmlAt maps a byte offset of the text to one of the fragment: where the
// character there starts or, with end, where the one before it ends.
func (pt *pageText) htmlAt(off int, end bool) int {
	i := sort.Search(len(pt.pieces), func(i int) bool {
		if end {
			return pt.pieces[i].textEnd >= off
		}
		return pt.pieces[i].textEnd > off
	})
	p := pt.pieces[i]
	switch {
	case !p.entity:
		return p.html + off - p.text
	case end:
		return p.htmlEnd
	}
	return p.html
}
