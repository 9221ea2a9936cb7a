package search

import (
	"html"
	"reflect"
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

// TestRankSegments: the passages a hit shows are its best segments with
// matches, body text before the summary, then by distinct terms, then by
// matches, then in the order of the text; the title is never one.
func TestRankSegments(t *testing.T) {
	// Title 0-10, summary 12-30, three paragraphs 32-60, 62-90, 92-120.
	e := &entry{size: 120, text: []segment{
		{start: 0, kind: segTitle}, {start: 12, kind: segSummary},
		{start: 32, kind: segBlock}, {start: 62, kind: segBlock, block: 1}, {start: 92, kind: segBlock, block: 2},
	}}
	m := func(start, unit int) match {
		return match{start: start, end: start + 4, pos: start, words: 1, unit: unit}
	}
	tests := []struct {
		name string
		all  []match
		max  int
		want [][]match // the matches of each segment shown, by segment, best first
		segs []int
		more bool
	}{
		{name: "title only", all: []match{m(1, 0)}, max: 4},
		{name: "nothing", max: 4},
		{
			name: "kind, then distinct terms, then matches",
			all:  []match{m(14, 0), m(20, 1), m(33, 0), m(40, 0), m(50, 0), m(63, 0), m(70, 1), m(1, 0)},
			max:  4,
			segs: []int{3, 2, 1},
			want: [][]match{{m(63, 0), m(70, 1)}, {m(33, 0), m(40, 0), m(50, 0)}, {m(14, 0), m(20, 1)}},
		},
		{
			name: "at most max, and more",
			all:  []match{m(14, 0), m(20, 1), m(33, 0), m(40, 0), m(50, 0), m(63, 0), m(70, 1)},
			max:  2,
			segs: []int{3, 2},
			want: [][]match{{m(63, 0), m(70, 1)}, {m(33, 0), m(40, 0), m(50, 0)}},
			more: true,
		},
		{
			name: "alike in the order of the text, matches in the order given",
			all:  []match{m(100, 1), m(64, 0), m(93, 0), m(40, 1), m(33, 0)},
			max:  4,
			segs: []int{2, 4, 3},
			want: [][]match{{m(40, 1), m(33, 0)}, {m(100, 1), m(93, 0)}, {m(64, 0)}},
		},
		{
			name: "a match across two paragraphs is left out",
			all:  []match{{start: 55, end: 65, pos: 55, words: 2}, m(93, 0)},
			max:  4,
			segs: []int{4},
			want: [][]match{{m(93, 0)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, more := e.rankSegments(tt.all, tt.max)
			var segs []int
			var ms [][]match
			for _, g := range got {
				segs, ms = append(segs, g.seg), append(ms, g.ms)
			}
			if !reflect.DeepEqual(segs, tt.segs) || !reflect.DeepEqual(ms, tt.want) || more != tt.more {
				t.Errorf("rankSegments = segments %v %v, more %t; want %v %v, more %t", segs, ms, more, tt.segs, tt.want, tt.more)
			}
		})
	}
}
