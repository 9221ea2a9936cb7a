package search

import (
	"cmp"
	"html/template"
	"math/bits"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"archive/internal/whitespace"
)

// Snippet sizes, in bytes of text. A window is the stretch in which the
// most query words are looked for; the snippet adds some context around it.
const (
	snippetLen = 260
	windowLen  = 180
	leadLen    = 70
)

// match is an occurrence of a positive term of the query in the text.
type match struct {
	start, end int // byte offsets
	pos        int // position of its first token
	words      int // tokens it covers: more than one for a phrase
	unit       int // which term of the query
}

// highlightParam is the value of the hl parameter a page hit's URL carries:
// the query's positive terms, which the publication page may highlight.
func highlightParam(q *Query) string {
	var parts []string
	for _, t := range q.Positive() {
		parts = append(parts, t.String())
	}
	return strings.Join(parts, " ")
}

// hitOf turns the best hits of a publication into what a reader sees:
// the publication, and up to max passages. Each hit's best passage comes
// before any hit's second, so that the page of a PDF holding the words is
// not crowded out by more paragraphs of the publication's page.
func hitOf(f found, locs map[string]termLocs, p *plan, hl string, max int) (Hit, error) {
	best := f.hits[0]
	pub := best.e.pub
	h := Hit{
		Title:          pub.Title,
		Kind:           KindPublication,
		PublicationURL: pub.URL,
		Section:        pub.Section,
		Date:           pub.Date,
		Lang:           pub.Lang,
		More:           f.more,
		Score:          best.score,
	}
	switch {
	case pub.Document:
		h.Kind = KindDocument
	case pub.Undated:
		h.Kind = KindPage
	}
	// Which passages to show is chosen from the ranked segments of each
	// hit, and only those are made: a publication keeps up to max hits,
	// and making every hit's max passages to show max of them was most of
	// the time snippets took for a publication with a PDF.
	lists := make([][]segMatches, len(f.hits))
	bases := make([]Passage, len(f.hits)) // a publication keeps no more hits than passages: each shows one
	total := 0
	for i, s := range f.hits {
		ranked, more := s.e.rankSegments(occurrences(p.positive[s.e.group], locs[s.e.id]), max)
		h.More = h.More || more
		lists[i], bases[i] = ranked, s.e.base(hl)
		total += max1(len(ranked))
	}
	h.Passages = make([]Passage, 0, min(max, total))
	for round := 0; len(h.Passages) < min(max, total); round++ {
		for i, ranked := range lists {
			if len(h.Passages) == max || round >= max1(len(ranked)) {
				continue
			}
			e := f.hits[i].e
			var ps Passage
			var err error
			if ranked == nil {
				ps, err = e.openingPassage(bases[i], hl)
			} else {
				ps, err = e.passage(bases[i], ranked[round].seg, ranked[round].ms, hl)
			}
			if err != nil {
				return Hit{}, err
			}
			h.Passages = append(h.Passages, ps)
		}
	}
	h.More = h.More || total > len(h.Passages)
	h.Passage = h.Passages[0]
	return h, nil
}

// max1 is how many passages a hit whose ranked segments number n has: one,
// its opening, when none is a passage.
func max1(n int) int { return max(n, 1) }

// base is what every passage of e says whatever its words.
func (e *entry) base(hl string) Passage {
	base := Passage{Source: SourcePage}
	if e.att != nil {
		base.Source = SourcePDF
		base.Page = e.page
		base.File = e.att.Name
		base.FileTitle = e.att.Title
		base.URL = e.att.URL + "#page=" + strconv.Itoa(e.page)
		base.TextURL = withHighlight(PDFPageURL(e.att.URL, e.page), hl)
		base.OCR = e.ocr
	}
	return base
}

// openingPassage is the passage of a hit matched by its metadata alone,
// unmarked.
func (e *entry) openingPassage(base Passage, hl string) (Passage, error) {
	p := base
	var err error
	if p.Snippet, err = e.opening(); err != nil {
		return Passage{}, err
	}
	if p.URL == "" {
		p.URL = withHighlight(e.pub.URL, hl)
	}
	return p, nil
}

// passage is base with the snippet of segment seg, where ms stand, and
// for a paragraph of a publication page, the link to it.
func (e *entry) passage(base Passage, seg int, ms []match, hl string) (Passage, error) {
	s := e.text[seg]
	text, err := e.readSeg(seg)
	if err != nil {
		return Passage{}, err
	}
	slices.SortFunc(ms, func(a, b match) int {
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		return cmp.Compare(b.end, a.end)
	})
	for i := range ms {
		ms[i].start -= s.start
		ms[i].end -= s.start
	}
	p := base
	from, to, first, last := window(text, ms)
	p.Snippet = render(text, from, to, ms[first:last])
	if p.URL != "" {
		return p, nil
	}
	p.URL = withHighlight(e.pub.URL, hl)
	if s.kind == segBlock {
		p.Anchor = s.anchor
		// The paragraph's id alone, no text directive (:~:text=): browsers
		// that know one match it against the first place the words stand,
		// which may be the note above the text, and those that do not
		// (Tor Browser's) take the whole fragment for an id and stay at the
		// top. The server marks the words (?hl=) in the paragraph.
		p.URL += "#" + p.Anchor
	}
	return p, nil
}

func withHighlight(u, hl string) string {
	if hl == "" {
		return u
	}
	return u + "?hl=" + url.QueryEscape(hl)
}

// occurrences finds where the query's positive terms stand, from where
// their index terms stand: a phrase where its terms follow each other.
func occurrences(units []analysed, locs termLocs) []match {
	n := 0
	for _, ls := range locs {
		n += len(ls)
	}
	out := make([]match, 0, n) // a match per location, but for terms typed twice
	add := func(l loc, end, words, unit int) {
		out = append(out, match{start: l.start, end: end, pos: l.pos, words: words, unit: unit})
	}
	for u, a := range units {
		switch {
		case a.prefix != "":
			for term, ls := range locs {
				if strings.HasPrefix(term, a.prefix) || contains(a.cuts, term) {
					for _, l := range ls {
						add(l, l.end, 1, u)
					}
				}
			}
		case len(a.toks) == 1:
			for _, t := range a.toks[0] {
				for _, l := range locs[t] {
					add(l, l.end, 1, u)
				}
			}
		case len(a.toks) > 1:
			for _, t := range a.toks[0] {
			next:
				for _, l := range locs[t] {
					end := l.end
					for i := 1; i < len(a.toks); i++ {
						if len(a.toks[i]) == 0 {
							continue // a gap
						}
						found, ok := loc{}, false
						for _, ti := range a.toks[i] {
							if found, ok = locs.at(ti, l.pos+i); ok {
								break
							}
						}
						if !ok {
							continue next
						}
						end = max(end, found.end)
					}
					add(l, end, len(a.toks), u)
				}
			}
		}
	}
	return out
}

// segMatches are the matches of the query in one segment.
type segMatches struct {
	seg int
	ms  []match
}

// rankSegments returns the segments with matches that are passages (not
// the title, authors or tags), those that best show why the document
// matched first, at most max of them: body text before the summary, then
// the most distinct query terms, then the most matches, then the first in
// the text. It says whether more segments were passages. Each segment's
// matches keep their order in all. It returns none when only metadata
// matched (or nothing, for a search by filters alone): the passage is then
// e's opening text.
//
// Segments are ranked by counts and a set of terms each, and the matches
// gathered for the chosen ones only: a search shows up to forty hits, of
// some hundred matches each for a common word, and copying every
// segment's matches into place to sort them all allocated for every match.
func (e *entry) rankSegments(all []match, max int) ([]segMatches, bool) {
	segOf := make([]int32, len(all))
	count := make([]int32, len(e.text))
	terms := make([]uint64, len(e.text)) // sets of match.term
	for k, m := range all {
		i := sort.Search(len(e.text), func(i int) bool { return e.text[i].start > m.start }) - 1
		// A phrase across two paragraphs, or offsets that do not fit the
		// text (they cannot when the index and the content agree, but a
		// panic is worse than a plain snippet), are left out.
		if i < 0 || m.end > e.segEnd(i) {
			segOf[k] = -1
			continue
		}
		segOf[k] = int32(i)
		count[i]++
		terms[i] |= m.term()
	}
	type ranked struct {
		seg  int
		rank [3]int
	}
	var best []ranked // the best so far, best first
	passages := 0
	for i, n := range count {
		kind := kindRank(e.text[i].kind)
		if n == 0 || kind == 0 {
			continue
		}
		passages++
		r := ranked{i, [3]int{kind, bits.OnesCount64(terms[i]), int(n)}}
		// After those ranked as high: of two alike, the first in the text.
		at := sort.Search(len(best), func(j int) bool { return slices.Compare(r.rank[:], best[j].rank[:]) > 0 })
		if at < max {
			best = slices.Insert(best, at, r)[:min(len(best)+1, max)]
		}
	}
	if len(best) == 0 {
		return nil, false
	}
	slot := make(map[int32]int, len(best))
	size := 0
	for j, r := range best {
		slot[int32(r.seg)] = j
		size += int(count[r.seg])
	}
	placed := make([]match, 0, size)
	out := make([]segMatches, len(best))
	for j, r := range best {
		out[j] = segMatches{seg: r.seg, ms: placed[len(placed) : len(placed) : len(placed)+int(count[r.seg])]}
		placed = placed[:len(placed)+int(count[r.seg])]
	}
	for k, m := range all {
		if j, ok := slot[segOf[k]]; ok {
			out[j].ms = append(out[j].ms, m)
		}
	}
	return out, passages > len(best)
}

func kindRank(k segKind) int {
	switch k {
	case segBlock, segPDF:
		return 2
	case segSummary:
		return 1
	}
	return 0
}

// distinct counts the query terms among ms.
func distinct(ms []match) int {
	var seen uint64
	for _, m := range ms {
		seen |= m.term()
	}
	return bits.OnesCount64(seen)
}

// term is m's query term as a bit of a set: the parser allows at most
// MaxTerms (64) terms.
func (m match) term() uint64 { return 1 << (uint(m.unit) & 63) }

// window chooses the part of text to show: the stretch of windowLen bytes
// holding the most distinct matched words (for a phrase, the phrase
// itself), with context around it, cut at spaces. It returns the byte range
// and the range of ms inside it.
func window(text string, ms []match) (from, to, first, last int) {
	if len(ms) == 0 {
		return 0, min(len(text), cutAt(text, snippetLen, false)), 0, 0
	}
	best, bestEnd, bestScore := 0, 1, [2]int{}
	for i := range ms {
		j := i
		for j < len(ms) && ms[j].end-ms[i].start <= windowLen {
			j++
		}
		j = max(j, i+1)
		score := [2]int{distinct(ms[i:j]), j - i}
		if score[0] > bestScore[0] || (score[0] == bestScore[0] && score[1] > bestScore[1]) {
			best, bestEnd, bestScore = i, j, score
		}
	}
	if len(text) <= snippetLen {
		from, to = 0, len(text)
	} else {
		spanStart, spanEnd := ms[best].start, ms[bestEnd-1].end
		lead := min(leadLen, max(0, (snippetLen-(spanEnd-spanStart))/2))
		from = 0
		if spanStart-lead > 0 {
			from = cutAt(text, spanStart-lead, true)
			if from > spanStart {
				from = spanStart
			}
		}
		to = len(text)
		if from+snippetLen < len(text) {
			to = max(cutAt(text, from+snippetLen, false), spanEnd)
		}
	}
	first = sort.Search(len(ms), func(i int) bool { return ms[i].start >= from })
	last = sort.Search(len(ms), func(i int) bool { return ms[i].end > to })
	return from, to, first, last
}

// cutAt moves i to a word boundary: forward past the next space when
// forward is true (the start of a snippet), back to the previous space
// otherwise (its end). It never splits a UTF-8 sequence.
func cutAt(text string, i int, forward bool) int {
	if i <= 0 {
		return 0
	}
	if i >= len(text) {
		return len(text)
	}
	if forward {
		for j := i; j < len(text) && j < i+30; j++ {
			if text[j] == ' ' || text[j] == '\n' {
				return j + 1
			}
		}
	} else {
		for j := i; j > 0 && j > i-30; j-- {
			if text[j] == ' ' || text[j] == '\n' {
				return j
			}
		}
	}
	// No space near (CJK text has none): cut at a character boundary.
	for i > 0 && !utf8.RuneStart(text[i]) {
		i--
	}
	return i
}

// htmlEscaper escapes what html.EscapeString does, but writes into the
// snippet rather than returning a string of each piece.
var htmlEscaper = strings.NewReplacer(`&`, "&amp;", `'`, "&#39;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;")

// render writes text[from:to] as HTML with the matches marked. Overlapping
// matches (CJK bigrams) and matches of consecutive words (a phrase) are
// marked as one.
func render(text string, from, to int, ms []match) template.HTML {
	var b strings.Builder
	b.Grow(to - from + 64)
	if from > 0 {
		b.WriteString("… ")
	}
	at := from
	for i := 0; i < len(ms); {
		start, end := ms[i].start, ms[i].end
		j := i + 1
		for ; j < len(ms); j++ {
			if ms[j].start > end && !(ms[j].pos == ms[j-1].pos+ms[j-1].words && onlySpace(text[end:ms[j].start])) {
				break
			}
			end = max(end, ms[j].end)
		}
		if start < at {
			start = at
		}
		if end > to {
			end = to
		}
		if start < end {
			htmlEscaper.WriteString(&b, text[at:start])
			b.WriteString("<mark>")
			htmlEscaper.WriteString(&b, text[start:end])
			b.WriteString("</mark>")
			at = end
		}
		i = j
	}
	htmlEscaper.WriteString(&b, text[at:to])
	if to < len(text) {
		b.WriteString(" …")
	}
	return template.HTML(whitespace.Collapse(b.String()))
}

// onlySpace reports whether s holds nothing a reader would count as a word
// between two words of a phrase.
func onlySpace(s string) bool {
	return len(s) <= 4 && strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) == ""
}

// opening is the snippet of a hit matched by its metadata alone: the
// opening of a PDF page, or of a publication's summary or else its first
// paragraph.
func (e *entry) opening() (template.HTML, error) {
	seg := -1
	for i, s := range e.text {
		if s.kind == segPDF || s.kind == segSummary {
			seg = i
			break
		}
		if s.kind == segBlock && s.block == 0 {
			seg = i
		}
	}
	var text string
	if seg >= 0 {
		var err error
		if text, err = e.readSeg(seg); err != nil {
			return "", err
		}
	}
	from, to, _, _ := window(text, nil)
	return render(text, from, to, nil), nil
}
