// Package whitespace collapses the white space of text, as a reader's eye
// does: for the text of Markdown blocks, snippets and highlighted words.
package whitespace

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Collapse is strings.Join(strings.Fields(s), " "): the words of s, one
// space between each. Most text is that already, and is returned as it is
// without a byte allocated: at 10,000 publications, building the fields of
// every paragraph was a tenth of loading the content, and of every snippet
// a tenth of a search.
func Collapse(s string) string {
	if collapsed(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for f := range strings.FieldsSeq(s) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f)
	}
	return b.String()
}

// collapsed reports whether s has no space but single ' ' between words.
// It looks a byte up in byteClass rather than decoding characters: a
// snippet is checked for every passage a search shows, and decoding each
// character of its text was most of the check.
func collapsed(s string) bool {
	prevSpace := true // no space at the start
	for i := 0; i < len(s); i++ {
		switch byteClass[s[i]] {
		case word:
			prevSpace = false
		case space:
			if prevSpace {
				return false
			}
			prevSpace = true
		case otherSpace:
			return false
		case maySpace:
			r, size := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				return false
			}
			i += size - 1
			prevSpace = false
		}
	}
	return !prevSpace || s == ""
}

// Classes of bytes, for collapsed.
const (
	word       = iota // a byte of a word: no character it starts or continues is a space
	space             // ' '
	otherSpace        // the ASCII spaces strings.Fields splits at but ' '
	maySpace          // the first byte of a character that may be a Unicode space
)

var byteClass = func() (c [256]uint8) {
	for _, b := range "\t\n\v\f\r" {
		c[b] = otherSpace
	}
	c[' '] = space
	// U+0085 and U+00A0 start with C2, U+1680 with E1, U+2000 to U+205F
	// with E2 and U+3000 with E3: the other spaces unicode.IsSpace knows.
	for _, b := range []byte{0xC2, 0xE1, 0xE2, 0xE3} {
		c[b] = maySpace
	}
	return c
}()
