package pdftext_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"archive/internal/pdftext"
	"archive/internal/testcorpus"
)

// TestLetterRoundTrip: every sentence of the open letter's Markdown is found,
// in order, in the extracted text of the letter's PDF.
func TestLetterRoundTrip(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "content", "letters", "open-letter-to-interpol")
	md, err := os.ReadFile(filepath.Join(dir, "index.md"))
	if err != nil {
		t.Skipf("the letter is not in content/ yet: %v", err)
	}
	pdfs, _ := filepath.Glob(filepath.Join(dir, "*.pdf"))
	if len(pdfs) != 1 {
		t.Fatalf("want one PDF in %s, found %v", dir, pdfs)
	}
	doc, err := pdftext.Extract(pdfs[0])
	if err != nil {
		t.Fatal(err)
	}
	sentences := markdownSentences(string(md))
	if len(sentences) < 20 {
		t.Fatalf("only %d sentences found in index.md", len(sentences))
	}
	pages := make([]string, len(doc.Pages))
	for i, p := range doc.Pages {
		if p.Err != "" {
			t.Errorf("page %d: %s", p.Number, p.Err)
		}
		pages[i] = flatten(p.Text)
	}
	page, at := 0, 0
	for _, s := range sentences {
		found := false
		for p := page; p < len(pages); p++ {
			from := 0
			if p == page {
				from = at
			}
			if i := strings.Index(pages[p][from:], s); i >= 0 {
				page, at, found = p, from+i+len(s), true
				break
			}
		}
		if !found {
			t.Errorf("sentence not found in order (after page %d, offset %d): %q", page+1, at, s)
		}
	}
	if want := frontMatterTitle(string(md)); doc.Title != want {
		t.Errorf("title %q, want %q", doc.Title, want)
	}
}

func repoRoot(t testing.TB) string {
	root, err := testcorpus.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// flatten makes line breaks plain spaces, as sentences run across lines.
func flatten(s string) string { return strings.Join(strings.Fields(norm.NFC.String(s)), " ") }

var (
	reFrontMatter = regexp.MustCompile(`(?s)\A---\n(.*?)\n---\n`)
	reTitle       = regexp.MustCompile(`(?m)^title:\s*"?(.*?)"?\s*$`)
	reLink        = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	reSentenceEnd = regexp.MustCompile(`[.!?:](\s|$)`)
)

func frontMatterTitle(md string) string {
	m := reFrontMatter.FindStringSubmatch(md)
	if m == nil {
		return ""
	}
	if t := reTitle.FindStringSubmatch(m[1]); t != nil {
		return t[1]
	}
	return ""
}

// markdownSentences returns the sentences of the body: paragraphs and list
// items with the Markdown taken out, cut after . ! ? and :.
func markdownSentences(md string) []string {
	body := reFrontMatter.ReplaceAllString(md, "")
	var out []string
	for _, block := range regexp.MustCompile(`\n\s*\n|\n- |\n\* |\n\d+\. `).Split("\n"+body, -1) {
		block = strings.TrimPrefix(strings.TrimSpace(block), "- ")
		block = strings.TrimLeft(block, "# ")
		block = reLink.ReplaceAllString(block, "$1")
		block = strings.NewReplacer("**", "", "__", "", "*", "", "`", "").Replace(block)
		block = flatten(block)
		for block != "" {
			loc := reSentenceEnd.FindStringIndex(block)
			end := len(block)
			if loc != nil {
				end = loc[0] + 1
			}
			if s := strings.TrimSpace(block[:end]); s != "" {
				out = append(out, s)
			}
			block = strings.TrimSpace(block[end:])
		}
	}
	return out
}
