package pdftext_test

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// words splits text the way the recall measure counts it: runs of letters and
// digits, lower-cased and NFKC-normalised (so ligatures and full-width forms
// compare equal), with each CJK character a word of its own.
func words(s string) []string {
	s = strings.ToLower(norm.NFKC.String(s))
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case isCJK(r):
			flush()
			out = append(out, string(r))
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			cur.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return out
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// recall is the share of the reference's words (as a multiset) found in ours.
func recall(ours, ref []string) float64 {
	if len(ref) == 0 {
		return 1
	}
	have := map[string]int{}
	for _, w := range ours {
		have[w]++
	}
	hit := 0
	for _, w := range ref {
		if have[w] > 0 {
			have[w]--
			hit++
		}
	}
	return float64(hit) / float64(len(ref))
}

// glued counts our tokens that are two or more of the reference's words run
// together: not a reference word themselves, but splittable into reference
// words. Tokens are whitespace-separated, as a search index would see them.
func glued(ours string, ref []string) (gluedTokens, tokens int, examples []string) {
	vocab := map[string]bool{}
	for _, w := range ref {
		vocab[w] = true
	}
	for _, tok := range strings.Fields(ours) {
		ws := words(tok)
		tokens++
		if len(ws) != 1 {
			continue
		}
		w := ws[0]
		if vocab[w] || len([]rune(w)) < 4 {
			continue
		}
		if splits(w, vocab) {
			gluedTokens++
			if len(examples) < 8 {
				examples = append(examples, w)
			}
		}
	}
	return gluedTokens, tokens, examples
}

// splits reports whether w is a concatenation of two or more vocabulary
// words of at least two letters each (single letters would split anything).
func splits(w string, vocab map[string]bool) bool {
	r := []rune(w)
	n := len(r)
	// ok[i]: r[:i] splits into vocabulary words; parts[i]: how many.
	parts := make([]int, n+1)
	for i := 1; i <= n; i++ {
		parts[i] = -1
	}
	for i := 0; i < n; i++ {
		if parts[i] < 0 {
			continue
		}
		for j := i + 2; j <= n; j++ {
			if vocab[string(r[i:j])] && (parts[j] < 0 || parts[j] < parts[i]+1) {
				parts[j] = parts[i] + 1
			}
		}
	}
	return parts[n] >= 2
}

// median of xs, which it sorts.
func median(xs []float64) float64 {
	slices.Sort(xs)
	m := xs[len(xs)/2]
	if len(xs)%2 == 0 {
		m = (xs[len(xs)/2-1] + m) / 2
	}
	return m
}
