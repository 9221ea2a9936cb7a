package search

import (
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
)

// wordsTokenizer is the analysers' tokenizer: bleve's unicode tokenizer
// (the word boundaries of Unicode's UAX #29), with a path of its own for
// text that is all ASCII but for the typographic punctuation of English
// (curly quotes and apostrophes, dashes, the ellipsis, the no-break
// space), which is most paragraphs of English text. The unicode tokenizer
// runs a state machine made for all of Unicode, and was the largest single
// cost of building the index; for these characters the rules come down to
// a few classes (fastWords). FuzzWords holds the two paths to the same
// tokens.
type wordsTokenizer struct{ unicode *unicode.UnicodeTokenizer }

const wordsTokenizerName = "archive_words"

func init() {
	if err := registry.RegisterTokenizer(wordsTokenizerName, func(map[string]any, *registry.Cache) (analysis.Tokenizer, error) {
		return wordsTokenizer{unicode.NewUnicodeTokenizer()}, nil
	}); err != nil {
		panic(err)
	}
}

func (t wordsTokenizer) Tokenize(input []byte) analysis.TokenStream {
	if toks, ok := fastWords(input); ok {
		return toks
	}
	return t.unicode.Tokenize(input)
}

// The UAX #29 word-break classes of the characters fastWords reads, as
// bits. Characters of no class (spaces, line ends, other punctuation)
// always break, and are in no word.
const (
	wbLetter    = 1 << iota // ALetter: A-Z, a-z
	wbNumeric               // 0-9
	wbExtendNum             // ExtendNumLet: _
	wbMidLetter             // MidLetter: the colon
	wbMidNumLet             // MidNumLet and Single_Quote: . ' and ’
	wbMidNum                // MidNum: , and ;
	wbUnknown               // outside ASCII and not below: for the unicode tokenizer

	wbWord = wbLetter | wbNumeric | wbExtendNum
)

var wbASCII = func() (t [128]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = wbLetter, wbLetter
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = wbNumeric
	}
	t['_'], t[':'], t['.'], t['\''], t[','], t[';'] = wbExtendNum, wbMidLetter, wbMidNumLet, wbMidNumLet, wbMidNum, wbMidNum
	return t
}()

// wbAt is the class of the character at b[i] and its length in bytes.
func wbAt(b []byte, i int) (class uint8, size int) {
	c := b[i]
	if c < 0x80 {
		return wbASCII[c], 1
	}
	if c == 0xC2 && i+1 < len(b) && b[i+1] == 0xA0 { // no-break space
		return 0, 2
	}
	if c == 0xE2 && i+2 < len(b) && b[i+1] == 0x80 {
		switch b[i+2] {
		case 0x99: // ’
			return wbMidNumLet, 3
		case 0x93, 0x94, 0x9C, 0x9D, 0xA6: // – — “ ” …
			return 0, 3
		}
	}
	return wbUnknown, 1
}

// fastWords tokenizes text as the unicode tokenizer does, or reports that
// the text has a character it does not know. Words are runs of letters,
// digits and underscores (WB5, WB8–WB10, WB13a–b), kept whole across one
// colon, full stop or apostrophe between letters (WB6–7) and one comma,
// semicolon, full stop or apostrophe between digits (WB11–12). A word with
// a letter is AlphaNumeric; one with digits and no letter Numeric; one of
// underscores only AlphaNumeric.
func fastWords(input []byte) (analysis.TokenStream, bool) {
	toks, ok := appendFastWords(make([]analysis.Token, 0, len(input)/6+1), input)
	if !ok {
		return nil, false
	}
	out := make(analysis.TokenStream, len(toks))
	for j := range toks {
		out[j] = &toks[j]
	}
	return out, true
}

// appendFastWords appends the tokens of fastWords to toks, numbered from
// 1 on, or reports that it does not know a character of input; toks is
// then as it was.
func appendFastWords(toks []analysis.Token, input []byte) ([]analysis.Token, bool) {
	first := len(toks)
	n := len(input)
	for i := 0; i < n; {
		c, size := wbAt(input, i)
		if c == wbUnknown {
			return toks[:first], false
		}
		if c&wbWord == 0 {
			i += size
			continue
		}
		start, seen, last := i, c, c
		for i += size; i < n; {
			c, size = wbAt(input, i)
			if c&wbWord != 0 {
				seen, last = seen|c, c
				i += size
				continue
			}
			if i+size < n {
				next, nextSize := wbAt(input, i+size)
				if last == wbLetter && c&(wbMidLetter|wbMidNumLet) != 0 && next == wbLetter ||
					last == wbNumeric && c&(wbMidNum|wbMidNumLet) != 0 && next == wbNumeric {
					i += size + nextSize
					continue
				}
			}
			break
		}
		typ := analysis.AlphaNumeric
		if seen&wbLetter == 0 && seen&wbNumeric != 0 {
			typ = analysis.Numeric
		}
		toks = append(toks, analysis.Token{Term: input[start:i:i], Start: start, End: i, Position: len(toks) - first + 1, Type: typ})
	}
	return toks, true
}
