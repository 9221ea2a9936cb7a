package search_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"archive/internal/search"
)

func word(s string) search.Term   { return search.Term{Kind: search.Word, Text: s} }
func phrase(s string) search.Term { return search.Term{Kind: search.Phrase, Text: s} }
func prefix(s string) search.Term { return search.Term{Kind: search.Prefix, Text: s} }
func all(ts ...search.Term) []search.Clause {
	var cs []search.Clause
	for _, t := range ts {
		cs = append(cs, search.Clause{Any: []search.Term{t}})
	}
	return cs
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want *search.Query
	}{
		{"", &search.Query{}},
		{"   \t ", &search.Query{}},
		{"interpol", &search.Query{Must: all(word("interpol"))}},
		{"red notice", &search.Query{Must: all(word("red"), word("notice"))}},
		{`"red notice"`, &search.Query{Must: all(phrase("red notice"))}},
		{`"  red   notice "`, &search.Query{Must: all(phrase("red notice"))}},
		{"“red notice”", &search.Query{Must: all(phrase("red notice"))}},
		{"„red notice“", &search.Query{Must: all(phrase("red notice"))}},
		{"«red notice»", &search.Query{Must: all(phrase("red notice"))}},
		{"「國家安全法」", &search.Query{Must: all(phrase("國家安全法"))}},
		{"\"tip of the\niceberg\"", &search.Query{Must: all(phrase("tip of the iceberg"))}},
		{`interpol -china`, &search.Query{Must: all(word("interpol")), Not: []search.Term{word("china")}}},
		{`interpol -"red notice"`, &search.Query{Must: all(word("interpol")), Not: []search.Term{phrase("red notice")}}},
		{`+interpol`, &search.Query{Must: all(word("interpol"))}},
		{"Hong Kong - China", &search.Query{Must: all(word("Hong"), word("Kong"), word("China"))}},
		{"long-arm", &search.Query{Must: all(word("long-arm"))}},
		{"police OR army", &search.Query{Must: []search.Clause{{Any: []search.Term{word("police"), word("army")}}}}},
		{"a b OR c d", &search.Query{Must: []search.Clause{
			{Any: []search.Term{word("a")}},
			{Any: []search.Term{word("b"), word("c")}},
			{Any: []search.Term{word("d")}},
		}}},
		{`police OR "armed forces" OR army`, &search.Query{Must: []search.Clause{{Any: []search.Term{word("police"), phrase("armed forces"), word("army")}}}}},
		{"police or army", &search.Query{Must: all(word("police"), word("or"), word("army"))}},
		{"govern*", &search.Query{Must: all(prefix("govern"))}},
		{"govern** x", &search.Query{Must: all(prefix("govern"), word("x"))}},
		{`-govern* interpol`, &search.Query{Must: all(word("interpol")), Not: []search.Term{prefix("govern")}}},
		{`""`, &search.Query{}},
		{`interpol ""`, &search.Query{Must: all(word("interpol"))}},
		{`C++`, &search.Query{Must: all(word("C++"))}},
		{`title:interpol`, &search.Query{Must: all(word("title:interpol"))}},
		{`interpol~2 /re.ex/`, &search.Query{Must: all(word("interpol~2"), word("/re.ex/"))}},
		{`foo"bar baz"`, &search.Query{Must: all(word("foo"), phrase("bar baz"))}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := search.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestParseErrors checks every query the reader must change: each gets a
// *QueryError with a message, quickly.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string // want: a part of the message
	}{
		{"unclosed quote", `"red notice`, "quotation mark is not closed"},
		{"unclosed quote after words", `interpol "red notice`, "quotation mark is not closed"},
		{"unclosed curly quote", `“red notice`, "quotation mark is not closed"},
		{"2,000 characters", strings.Repeat("a", 2000), "2000 characters long"},
		{"1,001 characters of CJK", strings.Repeat("港", 1001), "1001 characters long"},
		{"200 terms", strings.Repeat("word ", 200), "200 words"},
		{"65 words in a phrase", `"` + strings.Repeat("word ", 65) + `"`, "65 words"},
		{"control character", "red\x00notice", "control character"},
		{"escape character", "red \x1b[31m notice", "control character"},
		{"C1 control character", "red \u0085 notice", "control character"},
		{"invalid UTF-8", "red \xff\xfe notice", "not valid text"},
		{"truncated UTF-8", "港"[:2], "not valid text"},
		{"only exclusions", "-china", "at least one word"},
		{"only excluded phrase", `-"red notice"`, "at least one word"},
		{"OR first", "OR police", "OR needs a word"},
		{"OR last", "police OR", "OR needs a word"},
		{"OR OR", "police OR OR army", "OR needs a word"},
		{"OR alone", "OR", "OR needs a word"},
		{"excluded OR", "police OR -army", "cannot be one side of an OR"},
		{"leading wildcard", "*gate", "may only end a word"},
		{"inner wildcard", "gov*ment", "may only end a word"},
		{"short prefix", "go*", "at least 3 letters"},
		{"bare star", "*", "at least 3 letters"},
		{"too many prefixes", strings.Repeat("abc* ", search.MaxPrefixes+1), "words ending in *"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			q, err := search.Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", tt.in, q)
			}
			var qe *search.QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("Parse(%q) error %T %v, want *search.QueryError", tt.in, err, err)
			}
			if !strings.Contains(qe.Msg, tt.want) || qe.Param != "q" {
				t.Errorf("Parse(%q) = %q (param %q), want a message containing %q", tt.in, qe.Msg, qe.Param, tt.want)
			}
			// A guard against blow-ups (backtracking on long input), not a
			// speed test: the machine may be busy, and -race slows it.
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Parse(%q) took %v", tt.in, d)
			}
		})
	}
}

// TestQueryString checks that a parsed query written back parses to itself,
// which the hl parameter of hit URLs relies on.
func TestQueryString(t *testing.T) {
	for _, in := range []string{
		`interpol`, `"red notice" interpol -china`, `police OR "armed forces" OR army d`, `govern* -"x y"`, `«a b» c`,
	} {
		q, err := search.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		again, err := search.Parse(q.String())
		if err != nil {
			t.Fatalf("Parse(%q) (from %q): %v", q.String(), in, err)
		}
		if diff := cmp.Diff(q, again); diff != "" {
			t.Errorf("%q written as %q parses differently (-first +again):\n%s", in, q.String(), diff)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "interpol", `"red notice" -china`, "a OR b", "govern*", `-"x`, "«a» „b“ 「c」",
		"OR", "*", "港*", "\xff", "a\x00b", strings.Repeat("a ", 70), `""""`, "- -- -\"\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := search.Parse(s)
		if err != nil {
			var qe *search.QueryError
			if !errors.As(err, &qe) || qe.Msg == "" {
				t.Fatalf("Parse(%q): error %T %v is not a *QueryError with a message", s, err, err)
			}
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("Parse(%q) accepted invalid UTF-8", s)
		}
		if len(q.Must) == 0 && len(q.Not) > 0 {
			t.Fatalf("Parse(%q) = %v: exclusions alone", s, q)
		}
		words := 0
		for _, tm := range append(q.Positive(), q.Not...) {
			if tm.Text == "" || strings.TrimSpace(tm.Text) != tm.Text {
				t.Fatalf("Parse(%q) made a term %+v with empty or padded text", s, tm)
			}
			if tm.Kind == search.Phrase {
				words += len(strings.Fields(tm.Text))
			} else {
				words++
			}
		}
		if words > search.MaxTerms {
			t.Fatalf("Parse(%q) accepted %d words", s, words)
		}
		again, err := search.Parse(q.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", s, q.String(), err)
		}
		if diff := cmp.Diff(q, again); diff != "" {
			t.Fatalf("Parse(%q) = %q, which parses differently (-first +again):\n%s", s, q.String(), diff)
		}
	})
}
