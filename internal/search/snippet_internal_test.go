package search

import (
	"html"
	"testing"
)

// FuzzHTMLEscaper: the snippets' escaper writes what html.EscapeString
// returns, whatever the text of a document.
func FuzzHTMLEscaper(f *testing.F) {
	for _, s := range []string{"", "plain", `<script>alert("x")</script>`, "Tom & Jerry's", "&amp;", "\xff<\x00>", "中文 & “quotes”"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := htmlEscaper.Replace(s), html.EscapeString(s); got != want {
			t.Errorf("htmlEscaper.Replace(%q) = %q, html.EscapeString gives %q", s, got, want)
		}
	})
}
