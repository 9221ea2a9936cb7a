package search_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"archive/internal/pdftext"
	"archive/internal/search"
)

// TestCommonWordPhrases checks phrases made of common words only, which
// the index matches on its word pairs: the documents that hold every pair
// but not in a row, or hold the phrase's words across a boundary the
// positions keep (paragraphs, list items, title and body, PDF pages), are
// not hits; a phrase across a sentence inside a paragraph is one, as it
// was before the pairs (the positions see no full stop). Other languages
// have pairs too; Chinese, Japanese and Korean have none, and match on
// their terms' positions.
func TestCommonWordPhrases(t *testing.T) {
	pdf := &pdftext.Document{Pages: []pdftext.Page{
		{Number: 1, Text: "This report is about the go"},
		{Number: 2, Text: "programming language and its users."},
		{Number: 3, Text: "Later, the go programming language again."},
	}}
	idx, _ := buildSitePDF(t, map[string]string{
		// Every pair of "the go programming language", in a row.
		"p/row.md": md("Row", "2022-01-01", "en", "We write the Go programming language every day."),
		// Every pair, none in a row.
		"p/apart.md": md("Apart", "2022-01-02", "en", "We like the go of it. Go programming is fun. A programming language is a tool."),
		// The words in a row across two paragraphs, two list items, the
		// title and the body: no phrase.
		"p/blocks.md": md("Blocks", "2022-01-03", "en", "They said the go\n\nprogramming language was new."),
		"p/items.md":  md("Items", "2022-01-04", "en", "- the go\n- programming language"),
		"p/title.md":  md("All about the go", "2022-01-05", "en", "Programming language news."),
		// Across a sentence: the tokens stand side by side.
		"p/sentence.md": md("Sentence", "2022-01-06", "en", "Nobody stops the go. Programming language fans agree."),
		// Repeated words: "to be" twice in the phrase; every pair of it
		// in Halfway, but not in a row.
		"p/hamlet.md":  md("Hamlet", "2022-01-07", "en", "To be or not to be, that is it."),
		"p/halfway.md": md("Halfway", "2022-01-08", "en", "To be or not, maybe. To be sure: not to go."),
		// Other languages: pairs of unstemmed words; CJK: no pairs.
		"p/fr.md": md("Loi", "2022-01-09", "fr", "La loi de la sécurité nationale de la ville."),
		"p/zh.md": md("香港", "2022-01-10", "zh", "香港國家安全法實施後，the go programming language 也在香港。"),
		// Pages of a PDF are documents of their own.
		"p/pdf/index.md": md("PDF", "2022-01-11", "en", "See the attachment."),
		"p/pdf/r.pdf":    "%PDF-1.4",
	}, map[string]*pdftext.Document{"p/pdf/r.pdf": pdf}, search.Options{})
	tests := []struct {
		query string
		want  []string
	}{
		{`"the go programming language"`, []string{"/p/pdf/", "/p/row/", "/p/sentence/", "/p/zh/"}},
		{`"the Go programming languages"`, []string{"/p/pdf/", "/p/row/", "/p/sentence/"}}, // stemmed in English only, pairs too
		{`"go programming"`, []string{"/p/apart/", "/p/pdf/", "/p/row/", "/p/sentence/", "/p/zh/"}},
		{`"the go"`, []string{"/p/apart/", "/p/blocks/", "/p/items/", "/p/pdf/", "/p/row/", "/p/sentence/", "/p/title/", "/p/zh/"}},
		{`"go of it go"`, []string{"/p/apart/"}},                                                    // across a full stop
		{`"the go" -"go programming"`, []string{"/p/blocks/", "/p/items/", "/p/pdf/", "/p/title/"}}, // the PDF by its page 1
		{`"to be or not to be"`, []string{"/p/hamlet/"}},
		{`"not to be"`, []string{"/p/hamlet/"}},
		{`"or not to"`, []string{"/p/hamlet/"}},
		{`"be or not maybe to be"`, []string{"/p/halfway/"}},
		{`"de la sécurité"`, []string{"/p/fr/"}},
		{`"de la securite nationale"`, []string{"/p/fr/"}},
		{`"la ville de"`, []string{}},
		{`"國家安全法"`, []string{"/p/zh/"}},
		{`"安全法實施"`, []string{"/p/zh/"}},
		{`"香港國家"`, []string{"/p/zh/"}},
		{`"國家香港"`, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, urls(t, idx, search.Request{Query: tt.query})); diff != "" {
				t.Errorf("Search(%s) (-want +got):\n%s", tt.query, diff)
			}
		})
	}
	// The PDF's hit is page 3 alone: page 1 ends with "the go", page 2
	// starts with "programming language".
	res, err := idx.Search(context.Background(), search.Request{Query: `"the go programming language"`, Within: "/p/pdf/"})
	if err != nil {
		t.Fatal(err)
	}
	var pages []int
	for _, h := range res.Hits {
		for _, p := range h.Passages {
			pages = append(pages, p.Page)
		}
	}
	if diff := cmp.Diff([]int{3}, pages); diff != "" {
		t.Errorf("PDF pages (-want +got):\n%s", diff)
	}
}
