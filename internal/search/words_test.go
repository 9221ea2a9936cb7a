package search

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
)

// wordsCases are texts whose word boundaries turn on the rules fastWords
// implements; FuzzWords starts from them.
var wordsCases = []string{
	"", "abc", "123", "a1", "1a", "1_000", "___", "_a", "a_", "_1", "1.5", "1..5", "a.b", "a:b", "1:2",
	"1,2", "a,b", "a'b", "1'2", "don't", "e.g.", "U.S.A.", "3.14.15", "a.1", "1.a", "a'", "'a", "x_y.z",
	"a_.b", "1_.2", "a\tb", "a  b", "a\r\nb", "1;2", "a;b", "a\"b", "a1.b2", "1a.2b", "a:1", "::a::b::",
	"The Go programming language, version 1.26; see https://go.dev/doc/go1.26#runtime.",
	"Rob Pike's talk \"Concurrency is not parallelism\" (2012): slides at talks.golang.org/2012/concurrency.slide",
	"don’t", "it’s 3’4", "’a’", "a’’b", "“quoted”—and–so…on", "1\u00a02", "a\u00a0b", "a’\u00a0b",
}

// tokens prints a token stream for comparing two.
func tokens(ts analysis.TokenStream) string {
	var b strings.Builder
	for _, t := range ts {
		fmt.Fprintf(&b, "[%q %d-%d #%d %d]", t.Term, t.Start, t.End, t.Position, t.Type)
	}
	return b.String()
}

func sameWords(t *testing.T, text []byte, got, want analysis.TokenStream) {
	t.Helper()
	if g, w := tokens(got), tokens(want); g != w {
		t.Errorf("%q:\n got  %s\n want %s", text, g, w)
	}
}

// FuzzWords holds fastWords to bleve's unicode tokenizer: the same terms,
// offsets, positions and types, for every text it takes.
func FuzzWords(f *testing.F) {
	for _, s := range wordsCases {
		f.Add(s)
	}
	uni := unicode.NewUnicodeTokenizer()
	f.Fuzz(func(t *testing.T, s string) {
		if got, ok := fastWords([]byte(s)); ok {
			sameWords(t, []byte(s), got, uni.Tokenize([]byte(s)))
		}
	})
}

// TestWordsRandom: the same over many short texts drawn mostly from the
// characters the rules name, where a fuzzer's mutations rarely go; every
// one of them is fastWords'.
func TestWordsRandom(t *testing.T) {
	uni := unicode.NewUnicodeTokenizer()
	rnd := rand.New(rand.NewSource(1))
	alphabet := strings.Split("a Z 0 9 _ : . ' , ;   \t \r \n \" - ! x 1 ’ “ ” — – … \u00a0", " ")
	alphabet = append(alphabet, " ")
	for range 200_000 {
		var b []byte
		for range rnd.Intn(12) {
			if rnd.Intn(8) == 0 {
				b = append(b, byte(rnd.Intn(128)))
			} else {
				b = append(b, alphabet[rnd.Intn(len(alphabet))]...)
			}
		}
		got, ok := fastWords(b)
		if !ok {
			t.Fatalf("%q: refused", b)
		}
		sameWords(t, b, got, uni.Tokenize(b))
		if t.Failed() {
			return
		}
	}
}

// TestWordsTokenizer: the analysers' tokenizer gives the unicode
// tokenizer's tokens, whichever path a text takes (other letters, a soft
// hyphen, broken UTF-8 go to the unicode tokenizer whole).
func TestWordsTokenizer(t *testing.T) {
	uni := unicode.NewUnicodeTokenizer()
	tok := wordsTokenizer{uni}
	for _, s := range append(wordsCases, "Jürgen’s 3,5 km", "中文 text", "naïve café", "a\u00adb", "\xe2\x80", "x\x99y") {
		sameWords(t, []byte(s), tok.Tokenize([]byte(s)), uni.Tokenize([]byte(s)))
	}
	for _, s := range []string{"Jürgen", "中文", "a\u00adb", "\xe2\x80", "x\x99y", "\xe2\x80\x99\xff"} {
		if _, ok := fastWords([]byte(s)); ok {
			t.Errorf("fastWords took %q, which is the unicode tokenizer's", s)
		}
	}
}
