package server

import (
	"archive/internal/pipeline"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	snowball "github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/english"
	"golang.org/x/text/unicode/norm"

	"archive/internal/site"
)

// Per-request variants of pre-rendered pages. Two things cannot be rendered
// once at start: the words a reader searched for, marked on the publication
// page a search hit leads to (?hl=), and the site's own origin in feeds and
// citation files when site.toml has no base_url (see package site).

// Limits on the hl parameter: a hit's URL carries a short query, and a long
// one would only make the server work for nothing.
const (
	maxHighlightBytes = 200
	maxHighlightTerms = 10
)

// serveVariant writes the variant of page that r asks for, if any, and
// reports whether it did.
func (s *Server) serveVariant(w http.ResponseWriter, r *http.Request, st *pipeline.State, page *site.Page) (bool, error) {
	if page.Origin {
		origin, err := requestOrigin(r)
		if err != nil {
			return true, err
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		writePage(w, r, page.WithOrigin(origin))
		return true, nil
	}
	hl := r.URL.Query().Get("hl")
	if hl == "" {
		return false, nil
	}
	lang := ""
	if p := st.Site.Content.ByURL[r.URL.Path]; p != nil {
		lang = p.Lang
	}
	body, ok := highlightPage(page.Body, hl, lang, r.URL.Path)
	if !ok {
		return false, nil // not a publication page: nothing to mark
	}
	// The search words say what the reader looks for: no cache keeps them.
	// The variant's ETag is its own, never the plain page's.
	w.Header().Set("Cache-Control", "no-store")
	writePage(w, r, site.NewPage(page.Status, page.ContentType, body))
	return true, nil
}

// hostPattern is a host name or IP address with an optional port: the only
// Host headers the server will copy into a feed.
var hostPattern = regexp.MustCompile(`^(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(?::[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$`)

// requestOrigin is the scheme and host the reader used. Behind a proxy that
// ends TLS, X-Forwarded-Proto tells that the reader used https; trusting it
// can only turn http links into https ones.
func requestOrigin(r *http.Request) (string, error) {
	if !hostPattern.MatchString(r.Host) {
		return "", errorf(http.StatusBadRequest, "The request names no valid host.")
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host, nil
}

// hlTerm is a word, a prefix (interp*) or a phrase ("red notice") to mark,
// as folded words.
type hlTerm struct {
	words  []string
	prefix bool // the last word may be the start of a longer word
}

// parseHighlight reads the hl parameter the way the search query language
// writes its positive terms: words, prefixes ending in *, and quoted phrases.
func parseHighlight(hl string) (terms []hlTerm, shown []string) {
	if len(hl) > maxHighlightBytes {
		hl = hl[:maxHighlightBytes]
		for !utf8.ValidString(hl) {
			hl = hl[:len(hl)-1]
		}
	}
	seen := map[string]bool{}
	for len(hl) > 0 && len(terms) < maxHighlightTerms {
		hl = strings.TrimLeftFunc(hl, unicode.IsSpace)
		if hl == "" {
			break
		}
		var raw string
		phrase := hl[0] == '"'
		if phrase {
			end := strings.IndexByte(hl[1:], '"')
			if end < 0 {
				raw, hl = hl[1:], ""
			} else {
				raw, hl = hl[1:end+1], hl[end+2:]
			}
		} else {
			end := strings.IndexFunc(hl, unicode.IsSpace)
			if end < 0 {
				end = len(hl)
			}
			raw, hl = hl[:end], hl[end:]
			if raw == "OR" || strings.HasPrefix(raw, "-") {
				continue // the query's operators and exclusions are not words to mark
			}
		}
		t := hlTerm{prefix: !phrase && strings.HasSuffix(raw, "*")}
		for _, tok := range tokenize(strings.TrimSuffix(raw, "*")) {
			t.words = append(t.words, tok.text)
		}
		key := strings.Join(t.words, " ") + strconv.FormatBool(t.prefix)
		if len(t.words) == 0 || seen[key] {
			continue
		}
		seen[key] = true
		terms = append(terms, t)
		shown = append(shown, strings.TrimSpace(raw))
	}
	return terms, shown
}

// token is a word of text, folded, with where it stands in the source.
type token struct {
	text       string
	start, end int // byte offsets in the source
	node       int // which text node it is in (tags split words)
}

// isCJK reports runes of scripts written without spaces, which are matched
// one character at a time.
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// fold lower-cases r and strips its accents, as the search index does, so
// "jurgen" marks "Jürgen".
func fold(r rune) string {
	if r < utf8.RuneSelf {
		return string(unicode.ToLower(r))
	}
	var b strings.Builder
	for _, d := range norm.NFD.String(string(r)) {
		if !unicode.Is(unicode.Mn, d) {
			b.WriteRune(unicode.ToLower(d))
		}
	}
	return b.String()
}

// tokenize splits plain text into folded words.
func tokenize(s string) []token {
	runes := make([]span, 0, len(s))
	for i, r := range s {
		runes = append(runes, span{r: r, start: i, end: i + utf8.RuneLen(r)})
	}
	return appendTokens(nil, runes, 0)
}

// span is a decoded rune of a text node and the bytes of HTML it came from
// (more than one for an entity such as &amp;).
type span struct {
	r          rune
	start, end int
}

func appendTokens(toks []token, runes []span, node int) []token {
	var cur strings.Builder
	start, end := -1, 0
	flush := func() {
		if start >= 0 {
			toks = append(toks, token{text: cur.String(), start: start, end: end, node: node})
			cur.Reset()
			start = -1
		}
	}
	for _, sp := range runes {
		switch {
		case isCJK(sp.r):
			flush()
			toks = append(toks, token{text: fold(sp.r), start: sp.start, end: sp.end, node: node})
		case isWordRune(sp.r):
			if start < 0 {
				start = sp.start
			}
			cur.WriteString(fold(sp.r))
			end = sp.end
		default:
			flush()
		}
	}
	flush()
	return toks
}

// textNode is a run of text between two tags of the page.
type textNode struct{ start, end int }

// textNodes finds the text between tags in src, skipping comments and the
// content of elements that hold no reading text.
func textNodes(src string) []textNode {
	var nodes []textNode
	i := 0
	skipUntil := ""
	for i < len(src) {
		lt := strings.IndexByte(src[i:], '<')
		if lt < 0 {
			if skipUntil == "" {
				nodes = append(nodes, textNode{i, len(src)})
			}
			break
		}
		if lt > 0 && skipUntil == "" {
			nodes = append(nodes, textNode{i, i + lt})
		}
		i += lt
		if strings.HasPrefix(src[i:], "<!--") {
			end := strings.Index(src[i+4:], "-->")
			if end < 0 {
				return nodes
			}
			i += 4 + end + 3
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
		tag := strings.ToLower(src[i:min(j, len(src))])
		if skipUntil != "" {
			if strings.HasPrefix(tag, "</"+skipUntil) {
				skipUntil = ""
			}
		} else {
			for _, name := range []string{"script", "style", "textarea", "svg"} {
				if strings.HasPrefix(tag, "<"+name) && (len(tag) == len(name)+1 || !isWordRune(rune(tag[len(name)+1]))) {
					skipUntil = name
				}
			}
		}
		i = j + 1
	}
	return nodes
}

// decode turns a text node's HTML into runes, keeping for each the bytes it
// came from, so that marks go around the HTML of the matched words.
func decode(src string, n textNode) []span {
	out := make([]span, 0, n.end-n.start)
	for i := n.start; i < n.end; {
		if src[i] == '&' {
			if semi := strings.IndexByte(src[i:min(n.end, i+32)], ';'); semi > 0 {
				ent := src[i : i+semi+1]
				if dec := html.UnescapeString(ent); dec != ent {
					for _, r := range dec {
						out = append(out, span{r: r, start: i, end: i + semi + 1})
					}
					i += semi + 1
					continue
				}
			}
		}
		r, size := utf8.DecodeRuneInString(src[i:])
		out = append(out, span{r: r, start: i, end: i + size})
		i += size
	}
	return out
}

// stemmer compares words the way the search index does for the page's
// language: English words by their stem, so that "notices" marks "notice";
// other languages exactly.
type stemmer struct {
	english bool
	cache   map[string]string
}

func newStemmer(lang string) *stemmer {
	base, _, _ := strings.Cut(strings.ToLower(lang), "-")
	return &stemmer{english: base == "en" || base == "", cache: map[string]string{}}
}

func (s *stemmer) stem(w string) string {
	if !s.english || len(w) < 3 {
		return w
	}
	if st, ok := s.cache[w]; ok {
		return st
	}
	env := snowball.NewEnv(w)
	english.Stem(env)
	st := env.Current()
	s.cache[w] = st
	return st
}

func (s *stemmer) matches(tok, word string, prefix bool) bool {
	if prefix {
		return strings.HasPrefix(tok, word)
	}
	return tok == word || s.stem(tok) == s.stem(word)
}

// markRange is a run of bytes of one text node to wrap in <mark>.
type markRange struct{ start, end int }

// highlight marks the terms of hl in the text of src, an HTML fragment, and
// returns the fragment and the number of matches.
func highlight(src, hl, lang string) (string, int, []string) {
	terms, shown := parseHighlight(hl)
	if len(terms) == 0 {
		return src, 0, nil
	}
	var toks []token
	for i, n := range textNodes(src) {
		toks = appendTokens(toks, decode(src, n), i)
	}
	st := newStemmer(lang)
	var ranges []markRange
	matches := 0
	covered := -1 // last token inside a match: a term within it is no new match
	for i := range toks {
		for _, t := range terms {
			if i+len(t.words) > len(toks) {
				continue
			}
			ok := true
			for k, w := range t.words {
				if !st.matches(toks[i+k].text, w, t.prefix && k == len(t.words)-1) {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			if i+len(t.words)-1 <= covered {
				break
			}
			covered = i + len(t.words) - 1
			matches++
			// A phrase may cross tags ("red <em>notice</em>"): one mark per
			// text node, each around the words of the phrase it holds.
			first := toks[i]
			for k := 1; k <= len(t.words); k++ {
				if k == len(t.words) || toks[i+k].node != first.node {
					ranges = append(ranges, markRange{first.start, toks[i+k-1].end})
					if k < len(t.words) {
						first = toks[i+k]
					}
				}
			}
			break
		}
	}
	if len(ranges) == 0 {
		return src, 0, shown
	}
	ranges = mergeRanges(ranges)
	var b strings.Builder
	b.Grow(len(src) + len(ranges)*len(`<mark id="hl-1"></mark>`))
	last := 0
	for i, r := range ranges {
		b.WriteString(src[last:r.start])
		if i == 0 {
			b.WriteString(`<mark id="hl-1">`)
		} else {
			b.WriteString("<mark>")
		}
		b.WriteString(src[r.start:r.end])
		b.WriteString("</mark>")
		last = r.end
	}
	b.WriteString(src[last:])
	return b.String(), matches, shown
}

// mergeRanges sorts ranges and joins those that overlap, so that no mark
// opens inside another.
func mergeRanges(rs []markRange) []markRange {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].start < rs[j-1].start; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
	out := rs[:1]
	for _, r := range rs[1:] {
		if last := &out[len(out)-1]; r.start <= last.end {
			last.end = max(last.end, r.end)
		} else {
			out = append(out, r)
		}
	}
	return out
}

// highlightPage marks hl in the text of a publication page (between
// site.TextStart and site.TextEnd) and puts a note above it that says what
// is marked and links to the page without marks. It reports false for a
// page without those markers.
func highlightPage(body []byte, hl, lang, path string) ([]byte, bool) {
	page := string(body)
	start := strings.Index(page, site.TextStart)
	end := strings.LastIndex(page, site.TextEnd)
	if start < 0 || end < start {
		return nil, false
	}
	start += len(site.TextStart)
	marked, n, shown := highlight(page[start:end], hl, lang)
	if len(shown) == 0 {
		return nil, false
	}
	var quoted []string
	for _, s := range shown {
		quoted = append(quoted, "“"+html.EscapeString(s)+"”")
	}
	var note strings.Builder
	note.WriteString(`<div class="hl-banner" role="note" lang="` + site.UILang + `" dir="ltr"><p>`)
	switch n {
	case 0:
		note.WriteString("No exact match for " + strings.Join(quoted, ", ") + " in the text of this page.")
	case 1:
		note.WriteString(`1 match for ` + strings.Join(quoted, ", ") + ` is highlighted. <a href="#hl-1">Go to it</a>.`)
	default:
		note.WriteString(strconv.Itoa(n) + ` matches for ` + strings.Join(quoted, ", ") + ` are highlighted. <a href="#hl-1">Go to the first</a>.`)
	}
	note.WriteString(` <a href="` + html.EscapeString((&url.URL{Path: path}).EscapedPath()) + `">Show the page without highlighting</a>.</p></div>`)
	out := make([]byte, 0, len(body)+len(marked)-(end-start)+note.Len())
	out = append(out, page[:start]...)
	out = append(out, note.String()...)
	out = append(out, marked...)
	out = append(out, page[end:]...)
	return out, true
}
