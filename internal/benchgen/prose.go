package benchgen

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// prose is the pool of sentences publications are written from, in the
// order they stand in the source, so that consecutive sentences read as a
// text and a phrase typed from one is found as it was written.
type prose struct {
	sentences []string
}

var (
	mdLink    = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	mdRefLink = regexp.MustCompile(`\[([^\]]*)\]\[[^\]]*\]`)
	htmlTag   = regexp.MustCompile(`<[^>]*>`)
)

// loadProse reads every Markdown file of dir (sorted by name) and keeps the
// plain sentences of its paragraphs: no code, no lists, no tables, no
// markup that would mean something to the Markdown renderer.
func loadProse(dir string) (*prose, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	p := &prose{}
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("prose: %w", err)
		}
		for _, para := range paragraphs(src) {
			p.sentences = append(p.sentences, sentences(para)...)
		}
	}
	if len(p.sentences) < 200 {
		return nil, fmt.Errorf("prose: only %d usable sentences in %s/*.md; point the generator at a folder of Markdown articles", len(p.sentences), dir)
	}
	return p, nil
}

// paragraphs returns the prose paragraphs of a Markdown file, each joined
// into one line, with links reduced to their text.
func paragraphs(src []byte) []string {
	src = skipFrontMatter(src)
	var out []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.Join(cur, " "))
			cur = cur[:0]
		}
	}
	fenced := false
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fenced = !fenced
			flush()
			continue
		}
		if fenced || trimmed == "" || strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "    ") || !startsProse(trimmed) {
			flush()
			continue
		}
		cur = append(cur, trimmed)
	}
	flush()
	for i, para := range out {
		if strings.Contains(para, "[") {
			para = mdLink.ReplaceAllString(para, "$1")
			para = mdRefLink.ReplaceAllString(para, "$1")
		}
		if strings.Contains(para, "<") {
			para = htmlTag.ReplaceAllString(para, "")
		}
		out[i] = strings.Join(strings.Fields(para), " ")
	}
	return out
}

func skipFrontMatter(src []byte) []byte {
	for _, delim := range []string{"---\n", "+++\n"} {
		if bytes.HasPrefix(src, []byte(delim)) {
			if end := bytes.Index(src[len(delim):], []byte("\n"+delim)); end >= 0 {
				return src[len(delim)+end+len(delim)+1:]
			}
		}
	}
	return src
}

// startsProse reports whether a line can be part of a prose paragraph:
// headings, list items, tables, quotes, templates and HTML cannot.
func startsProse(line string) bool {
	r, _ := utf8.DecodeRuneInString(line)
	if !unicode.IsLetter(r) && r != '"' && r != '(' && r != '\'' && r != '“' {
		return false
	}
	// "1. item" and "a) item" are list items.
	if len(line) > 2 && line[1] == '.' && line[2] == ' ' {
		return false
	}
	return true
}

// sentences splits a paragraph after ".", "?" or "!" followed by a space
// and a capital letter, and keeps the sentences the pages can show as they
// are: 6 to 45 words, ending with a full stop, without characters that
// Markdown would read as markup.
func sentences(para string) []string {
	var out []string
	start := 0
	for i := 0; i < len(para); i++ {
		c := para[i]
		if c != '.' && c != '?' && c != '!' {
			continue
		}
		end := i + 1
		if end < len(para) && (para[end] == '"' || para[end] == ')') {
			end++
		}
		if end+1 < len(para) && para[end] == ' ' {
			r, _ := utf8.DecodeRuneInString(para[end+1:])
			if !unicode.IsUpper(r) {
				continue
			}
		} else if end < len(para) {
			continue
		}
		s := strings.TrimSpace(para[start:end])
		start = end
		if usable(s) {
			out = append(out, s)
		}
	}
	return out
}

func usable(s string) bool {
	n := len(strings.Fields(s))
	if n < 6 || n > 45 {
		return false
	}
	if strings.ContainsAny(s, "*_[]<>|\\`{}#~^$=&%") || strings.Contains(s, "://") || strings.Contains(s, "...") {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(s)
	if last != '.' && last != '?' && last != '!' && last != '"' && last != ')' {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(first) || first == '"' || first == '“'
}
