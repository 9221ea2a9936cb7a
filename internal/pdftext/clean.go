package pdftext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

var ligatures = map[rune]string{
	'\uFB00': "ff", '\uFB01': "fi", '\uFB02': "fl", '\uFB03': "ffi",
	'\uFB04': "ffl", '\uFB05': "st", '\uFB06': "st",
}

// cleanText normalises extracted text: ligatures expanded, line-end
// hyphenation joined, control characters and soft hyphens removed, spaces
// collapsed, NFC.
func cleanText(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteByte('\n')
		case r == '\t' || r == '\u00A0' || unicode.Is(unicode.Zs, r):
			b.WriteByte(' ')
		case r == '\r' || r == '\f' || r == '\v':
			b.WriteByte('\n')
		case unicode.IsControl(r) || r == utf8.RuneError || r == '\uFEFF' || r == '\u200B':
		default:
			if l, ok := ligatures[r]; ok {
				b.WriteString(l)
				continue
			}
			b.WriteRune(r)
		}
	}
	lines := strings.Split(b.String(), "\n")
	out := lines[:0]
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		if l != "" {
			out = append(out, l)
		}
	}
	out = joinHyphenated(out)
	for i, l := range out {
		out[i] = strings.ReplaceAll(l, "\u00AD", "")
	}
	return norm.NFC.String(strings.Join(out, "\n"))
}

// joinHyphenated joins a word broken at a line end ("extrac-" / "tion") and
// moves it up to the first line, so each line keeps whole words.
func joinHyphenated(lines []string) []string {
	for i := 0; i+1 < len(lines); i++ {
		l := lines[i]
		last, n := utf8.DecodeLastRuneInString(l)
		if last != '-' && last != '\u2010' && last != '\u00AD' {
			continue
		}
		before, _ := utf8.DecodeLastRuneInString(l[:len(l)-n])
		if !unicode.IsLetter(before) {
			continue
		}
		next := lines[i+1]
		first, _ := utf8.DecodeRuneInString(next)
		if !unicode.IsLower(first) && !(last == '\u00AD' && unicode.IsLetter(first)) {
			continue
		}
		word, rest, _ := strings.Cut(next, " ")
		lines[i] = l[:len(l)-n] + word
		lines[i+1] = rest
		if rest == "" {
			lines = append(lines[:i+1], lines[i+2:]...)
		}
	}
	return lines
}
