package search

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"archive/internal/whitespace"
)

// Limits on what a reader may type. They keep every search cheap: the
// longest quote a journalist pastes is a few sentences, well under both.
const (
	MaxQueryRunes = 1000 // characters in the query
	MaxTerms      = 64   // words, counting every word of every phrase
	MinPrefix     = 3    // characters before a * (prefix search)
	MaxPrefixes   = 8    // prefix searches in one query: each may expand to many words
)

// TermKind says how a term matches.
type TermKind int

const (
	Word   TermKind = iota // one word, stemmed in English
	Prefix                 // a word typed with a trailing *: any word starting so
	Phrase                 // words in "quotes": all of them, in that order
)

func (k TermKind) String() string {
	switch k {
	case Prefix:
		return "prefix"
	case Phrase:
		return "phrase"
	}
	return "word"
}

// Term is one word, prefix or phrase as the reader typed it (without the *
// or the quotation marks). Case and accents are left for the analysers.
type Term struct {
	Kind TermKind
	Text string
}

// String writes the term back in query syntax.
func (t Term) String() string {
	switch t.Kind {
	case Prefix:
		return t.Text + "*"
	case Phrase:
		return `"` + t.Text + `"`
	}
	return t.Text
}

// Clause is satisfied when any one of its terms matches: a single term, or
// terms joined by OR.
type Clause struct {
	Any []Term
}

// Query is a parsed query: a document matches when it satisfies every clause
// of Must and contains no term of Not.
//
// The grammar has no parentheses, so this flat shape holds every query the
// language can express: OR binds tighter than the implicit AND, as in the
// web search engines readers know ("a b OR c d" is a AND (b OR c) AND d).
type Query struct {
	Must []Clause
	Not  []Term
}

// Empty reports whether the query asks for nothing.
func (q *Query) Empty() bool { return q == nil || (len(q.Must) == 0 && len(q.Not) == 0) }

// Positive returns the terms a matching document contains (or may contain,
// for OR), in query order: the words to highlight.
func (q *Query) Positive() []Term {
	var out []Term
	for _, c := range q.Must {
		out = append(out, c.Any...)
	}
	return out
}

// String writes the query back in the syntax Parse reads.
func (q *Query) String() string {
	var parts []string
	for _, c := range q.Must {
		var alts []string
		for _, t := range c.Any {
			alts = append(alts, t.String())
		}
		parts = append(parts, strings.Join(alts, " OR "))
	}
	for _, t := range q.Not {
		parts = append(parts, "-"+t.String())
	}
	return strings.Join(parts, " ")
}

// QueryError is a request the reader must change: a query that cannot be
// parsed or a filter with a bad value. Its message is written for the reader.
type QueryError struct {
	Param string // the URL parameter at fault: "q", "year", "page"...
	Msg   string
}

func (e *QueryError) Error() string { return e.Msg }

func queryErr(format string, args ...any) *QueryError {
	return &QueryError{Param: "q", Msg: fmt.Sprintf(format, args...)}
}

// Quotation marks that open and close a phrase. Readers paste quotes from
// documents in many typographic styles: "…", “…”, „…“, «…», »…«, 「…」.
const (
	openQuotes  = "\"“”„«»「『"
	closeQuotes = "\"“”«»」』"
)

// item is a lexical unit of the query.
type item struct {
	term Term
	neg  bool
	or   bool // the OR operator
	text string
}

// Parse reads a query typed by a reader. Every error is a *QueryError whose
// message says what to change. An empty query parses to an empty Query.
func Parse(s string) (*Query, error) {
	if !utf8.ValidString(s) {
		return nil, queryErr("The search contains bytes that are not valid text (invalid UTF-8). Please type it again.")
	}
	if n := utf8.RuneCountInString(s); n > MaxQueryRunes {
		return nil, queryErr("The search is %d characters long; the most is %d. Search for a shorter part of the quote.", n, MaxQueryRunes)
	}
	for _, r := range s {
		// Tabs and line breaks come with text pasted from PDFs: they are spaces.
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return nil, queryErr("The search contains a control character (%U). Please type it again.", r)
		}
	}
	items, err := lex(s)
	if err != nil {
		return nil, err
	}
	q := &Query{}
	words, prefixes := 0, 0
	for _, it := range items {
		if it.term.Kind == Prefix {
			prefixes++
		}
	}
	if prefixes > MaxPrefixes {
		return nil, queryErr("The search has %d words ending in *; the most is %d.", prefixes, MaxPrefixes)
	}
	for i := 0; i < len(items); i++ {
		it := items[i]
		if it.or {
			return nil, queryErr("OR needs a word or phrase on each side, as in: police OR army.")
		}
		words += countWords(it.term)
		if it.neg {
			q.Not = append(q.Not, it.term)
			continue
		}
		c := Clause{Any: []Term{it.term}}
		for i+1 < len(items) && items[i+1].or {
			if i+2 >= len(items) || items[i+2].or {
				return nil, queryErr("OR needs a word or phrase on each side, as in: police OR army.")
			}
			next := items[i+2]
			if next.neg {
				return nil, queryErr("An excluded word (%s) cannot be one side of an OR.", next.text)
			}
			c.Any = append(c.Any, next.term)
			words += countWords(next.term)
			i += 2
		}
		q.Must = append(q.Must, c)
	}
	if words > MaxTerms {
		return nil, queryErr("The search has %d words; the most is %d. Search for a shorter part of the quote.", words, MaxTerms)
	}
	if len(q.Must) == 0 && len(q.Not) > 0 {
		return nil, queryErr("Add at least one word to search for: a search cannot only exclude words.")
	}
	return q, nil
}

// lex splits the query into terms and operators.
func lex(s string) ([]item, error) {
	var items []item
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		start := i
		neg := false
		if r == '-' || r == '+' {
			// A sign only counts before a word or phrase: "Hong Kong - China"
			// has a lone dash that is punctuation, not an exclusion.
			next, nsize := utf8.DecodeRuneInString(s[i+size:])
			if i+size >= len(s) || unicode.IsSpace(next) {
				i += size
				continue
			}
			neg = r == '-'
			i += size
			r, size = next, nsize
		}
		if strings.ContainsRune(openQuotes, r) {
			i += size
			end := strings.IndexAny(s[i:], closeQuotes)
			if end < 0 {
				return nil, queryErr("A quotation mark is not closed. Put the exact words between two quotation marks, as in \"red notice\".")
			}
			text := whitespace.Collapse(s[i : i+end])
			_, csize := utf8.DecodeRuneInString(s[i+end:])
			i += end + csize
			if text == "" {
				continue
			}
			items = append(items, item{term: Term{Kind: Phrase, Text: text}, neg: neg, text: s[start:i]})
			continue
		}
		end := i
		for end < len(s) {
			r, size := utf8.DecodeRuneInString(s[end:])
			if unicode.IsSpace(r) || strings.ContainsRune(openQuotes, r) {
				break
			}
			end += size
		}
		// Signs repeated before a word ("--x", "+-x") say no more than one.
		word := strings.TrimLeft(s[i:end], "+-")
		i = end
		if word == "" {
			continue
		}
		if word == "OR" && !neg {
			items = append(items, item{or: true, text: word})
			continue
		}
		t := Term{Kind: Word, Text: word}
		if strings.HasSuffix(word, "*") {
			t = Term{Kind: Prefix, Text: strings.TrimRight(word, "*")}
			if n := utf8.RuneCountInString(t.Text); n < MinPrefix {
				return nil, queryErr("A prefix search needs at least %d letters before the *, as in govern*.", MinPrefix)
			}
		}
		if strings.Contains(t.Text, "*") {
			return nil, queryErr("A * may only end a word, as in govern* (other wildcards are not offered).")
		}
		items = append(items, item{term: t, neg: neg, text: s[start:i]})
	}
	return items, nil
}

func countWords(t Term) int {
	if t.Kind == Phrase {
		return len(strings.Fields(t.Text))
	}
	return 1
}
