package whitespace

import (
	"strings"
	"testing"
	"unicode"
)

// FuzzCollapse checks Collapse against what it stands for.
func FuzzCollapse(f *testing.F) {
	for _, s := range []string{"", " ", "a", "a b", " a", "a ", "a  b", "a\nb", "a\tb", "a\u00a0b", "a\u2003 b", "中文 text", "\xff b", "a \x85b", "a \u0085b", "\u3000a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Collapse(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Errorf("Collapse(%q) = %q, want %q", s, got, want)
		}
	})
}

// TestEverySpace checks Collapse on every character unicode.IsSpace
// knows, alone and between words: collapsed decodes only the characters
// whose first byte may start one.
func TestEverySpace(t *testing.T) {
	n := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !unicode.IsSpace(r) {
			continue
		}
		n++
		for _, s := range []string{string(r), "a" + string(r) + "b", "a " + string(r) + "b", "中" + string(r)} {
			if got, want := Collapse(s), strings.Join(strings.Fields(s), " "); got != want {
				t.Errorf("Collapse(%q) = %q, want %q", s, got, want)
			}
		}
	}
	if n < 25 {
		t.Errorf("%d spaces checked: unicode.IsSpace knows 25", n)
	}
}
