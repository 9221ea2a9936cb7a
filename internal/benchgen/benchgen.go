// Package benchgen writes a synthetic archive for benchmarks: N publications
// as page bundles the content loader reads, with prose drawn from a real
// text, so that rendering, indexing and search cost what they would on an
// archive of that size.
//
// # What it writes
//
// Every publication is a bundle <section>/<slug>/index.md with YAML front
// matter (title, date, summary, authors, tags, aliases on some, related
// publications on most) and a body of about 1,500 words: paragraphs of
// consecutive sentences taken from the prose folder, headings, bullet and
// numbered lists, a table, footnotes, and links to other publications and
// to tag pages. Dates spread over ten years (2015–2024), publications over
// five sections and forty tags (a few common, many rare). Every tenth bundle
// gets a PDF attachment: a hard link to (or, across file systems, a copy of)
// one of the text-bearing PDFs listed in the PDF folder's SOURCES.tsv, taken
// in turn.
//
// The same Config always writes the same bytes. Ensure reuses a corpus
// written before with the same Config.
//
// It does not measure anything: cmd/bench does.
package benchgen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Version changes whenever the generator writes different files for the
// same Config, so that Ensure does not reuse a corpus of an older version.
const Version = 1

// markerFile records, inside a generated corpus, how it was generated. The
// content loader skips names starting with a dot.
const markerFile = ".benchgen.json"

// Config says what to generate.
type Config struct {
	N        int    // publications
	Seed     uint64 // the same seed writes the same corpus
	ProseDir string // folder of Markdown articles whose sentences make the prose
	PDFDir   string // folder of PDFs with SOURCES.tsv; "" attaches no PDFs
	PDFEvery int    // one publication in PDFEvery gets a PDF; 0 means 10
	// Words is the body length to aim for; 0 means 1,500.
	Words int
}

func (c Config) pdfEvery() int {
	if c.PDFEvery <= 0 {
		return 10
	}
	return c.PDFEvery
}

func (c Config) words() int {
	if c.Words <= 0 {
		return 1500
	}
	return c.Words
}

// Summary describes a generated corpus.
type Summary struct {
	Version       int
	N             int
	Seed          uint64
	PDFEvery      int
	Words         int // target body length
	Sections      []string
	Tags          []string // tags used, sorted
	Years         []int    // years used, ascending
	PDFs          int      // publications with a PDF attachment
	PDFSources    []string // distinct PDF files attached (names in PDFDir)
	BodyWords     int64    // words of all bodies
	MarkdownBytes int64
	PDFBytes      int64
	URLs          []string // publication URL paths, by publication number
}

// sectionWeights are the sections publications are spread over: a
// publication falls in one with a probability proportional to its weight.
var sectionWeights = []struct {
	name   string
	weight int
}{
	{"reports", 4}, {"investigations", 3}, {"letters", 2}, {"briefings", 2}, {"statements", 1},
}

// tags are written in the order of how often they are used: tag i is
// chosen with a probability that falls with i.
var tags = []string{
	"transnational-repression", "detention", "extradition", "interpol", "surveillance",
	"journalists", "lawyers", "diaspora", "asylum", "deportation",
	"red-notices", "forced-returns", "family-coercion", "police-stations", "hong-kong",
	"tibet", "xinjiang", "press-freedom", "torture", "forced-disappearance",
	"students", "online-harassment", "spyware", "courts", "sanctions",
	"un-human-rights-council", "elections", "labour", "women-rights", "minorities",
	"religion", "censorship", "travel-bans", "passports", "consular-access",
	"death-penalty", "prisons", "refugees", "legislation", "uyghurs",
}

var authors = []string{
	"Research team", "Legal unit", "Campaigns team", "Asia desk", "Europe desk",
	"Mara Lindqvist", "Tomás Ferreira", "Aiko Tanabe", "Samuel Okafor", "Lena Novak",
	"Rahim Qadir", "Inès Moreau",
}

var regions = []string{
	"Central Asia", "East Africa", "Gulf states", "Southeast Asia", "Western Europe",
	"Eastern Europe", "North America", "South America", "Southern Africa", "Caucasus",
}

// pub is what every publication needs to know of the others before bodies
// are written: their URLs and titles, for links and related lists.
type pub struct {
	section, slug, title, summary string
	date                          time.Time
	tags, authors                 []string
	related                       []int
	alias                         bool
	pdf                           string // source PDF name, "" for none
}

func (p *pub) url() string  { return "/" + p.section + "/" + p.slug + "/" }
func (p *pub) path() string { return p.section + "/" + p.slug }

// Ensure makes dir hold the corpus cfg describes: it reuses one written
// there before with the same Config and generator version, and otherwise
// removes dir (only if it is a generated corpus or empty) and generates it.
func Ensure(dir string, cfg Config) (sum *Summary, reused bool, err error) {
	if old, err := readMarker(dir); err == nil {
		if old.Version == Version && old.N == cfg.N && old.Seed == cfg.Seed &&
			old.PDFEvery == cfg.pdfEvery() && old.Words == cfg.words() && (cfg.PDFDir == "") == (old.PDFs == 0) {
			return old, true, nil
		}
		if err := os.RemoveAll(dir); err != nil {
			return nil, false, fmt.Errorf("remove old corpus: %w", err)
		}
	} else if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, false, fmt.Errorf("%s exists and is not a generated corpus; remove it or choose another folder", dir)
	}
	sum, err = Generate(dir, cfg)
	return sum, false, err
}

func readMarker(dir string) (*Summary, error) {
	b, err := os.ReadFile(filepath.Join(dir, markerFile))
	if err != nil {
		return nil, err
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", markerFile, err)
	}
	return &s, nil
}

// Generate writes the corpus into dir, which must not exist or be empty.
// The marker that lets Ensure reuse it is written last, so an interrupted
// run is never taken for a complete corpus.
func Generate(dir string, cfg Config) (*Summary, error) {
	if cfg.N <= 0 {
		return nil, errors.New("benchgen: N must be positive")
	}
	text, err := loadProse(cfg.ProseDir)
	if err != nil {
		return nil, err
	}
	var pdfs []string
	if cfg.PDFDir != "" {
		if pdfs, err = TextPDFs(cfg.PDFDir); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	pubs := plan(cfg, text, pdfs)

	sum := &Summary{Version: Version, N: cfg.N, Seed: cfg.Seed, PDFEvery: cfg.pdfEvery(), Words: cfg.words()}
	if err := writeSite(dir, pubs, text, sum); err != nil {
		return nil, err
	}

	var (
		mu       sync.Mutex
		firstErr error
	)
	forEach(len(pubs), func(i int) {
		words, mdBytes, pdfBytes, err := writePublication(dir, cfg, i, pubs, text)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		sum.BodyWords += int64(words)
		sum.MarkdownBytes += mdBytes
		sum.PDFBytes += pdfBytes
	})
	if firstErr != nil {
		return nil, firstErr
	}

	sections, tagSet, years, sources := map[string]bool{}, map[string]bool{}, map[int]bool{}, map[string]bool{}
	for _, p := range pubs {
		sum.URLs = append(sum.URLs, p.url())
		sections[p.section] = true
		years[p.date.Year()] = true
		for _, t := range p.tags {
			tagSet[t] = true
		}
		if p.pdf != "" {
			sum.PDFs++
			sources[p.pdf] = true
		}
	}
	sum.Sections = sortedKeys(sections)
	sum.Tags = sortedKeys(tagSet)
	sum.PDFSources = sortedKeys(sources)
	for y := range years {
		sum.Years = append(sum.Years, y)
	}
	sort.Ints(sum.Years)

	b, err := json.MarshalIndent(sum, "", "\t")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, markerFile), b, 0o644); err != nil {
		return nil, err
	}
	return sum, nil
}

// plan decides every publication's metadata, in order, from one stream of
// random numbers; bodies are then written in parallel from per-publication
// streams, so the output does not depend on scheduling.
func plan(cfg Config, text *prose, pdfs []string) []*pub {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	total := 0
	for _, s := range sectionWeights {
		total += s.weight
	}
	pubs := make([]*pub, cfg.N)
	for i := range pubs {
		p := &pub{}
		w := rng.IntN(total)
		for _, s := range sectionWeights {
			if w < s.weight {
				p.section = s.name
				break
			}
			w -= s.weight
		}
		p.title = phrase(text.sentences[rng.IntN(len(text.sentences))], 4+rng.IntN(6))
		p.slug = slugify(p.title) + "-" + strconv.Itoa(i+1)
		p.summary = text.sentences[rng.IntN(len(text.sentences))]
		// Years in turn, shifted every ten publications so that every
		// tenth (the ones with PDFs) does not fall in the same year.
		year := 2015 + (i+i/10)%10
		p.date = time.Date(year, time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365))
		for n := 1 + rng.IntN(4); len(p.tags) < n; {
			u := rng.Float64()
			t := tags[int(u*u*float64(len(tags)))]
			if !slices.Contains(p.tags, t) {
				p.tags = append(p.tags, t)
			}
		}
		for n := 1 + rng.IntN(2); len(p.authors) < n; {
			a := authors[rng.IntN(len(authors))]
			if !slices.Contains(p.authors, a) {
				p.authors = append(p.authors, a)
			}
		}
		if i > 0 {
			for n := rng.IntN(3); n > 0; n-- {
				j := rng.IntN(i)
				if !slices.Contains(p.related, j) {
					p.related = append(p.related, j)
				}
			}
		}
		p.alias = rng.IntN(5) == 0
		if len(pdfs) > 0 && i%cfg.pdfEvery() == 0 {
			p.pdf = pdfs[(i/cfg.pdfEvery())%len(pdfs)]
		}
		pubs[i] = p
	}
	return pubs
}

// writeSite writes site.toml and an introduction for every section.
func writeSite(dir string, pubs []*pub, text *prose, sum *Summary) error {
	settings := "title = \"Benchmark archive\"\norganisation = \"Benchmark\"\ndescription = \"A generated archive for benchmarks.\"\n"
	if err := os.WriteFile(filepath.Join(dir, "site.toml"), []byte(settings), 0o644); err != nil {
		return err
	}
	used := map[string]bool{}
	for _, p := range pubs {
		used[p.section] = true
	}
	for i, s := range sortedKeys(used) {
		var b bytes.Buffer
		fmt.Fprintf(&b, "---\ntitle: %s\nsummary: %s\n---\n\n%s\n", yamlString(sectionTitle(s)),
			yamlString(text.sentences[i*7%len(text.sentences)]), text.sentences[(i*7+1)%len(text.sentences)])
		if err := os.MkdirAll(filepath.Join(dir, s), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, s, "index.md"), b.Bytes(), 0o644); err != nil {
			return err
		}
		sum.MarkdownBytes += int64(b.Len())
	}
	return nil
}

// writePublication writes bundle i and its PDF.
func writePublication(dir string, cfg Config, i int, pubs []*pub, text *prose) (words int, mdBytes, pdfBytes int64, err error) {
	p := pubs[i]
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1))
	bundle := filepath.Join(dir, p.section, p.slug)
	if err := os.MkdirAll(bundle, 0o755); err != nil {
		return 0, 0, 0, err
	}
	var b bytes.Buffer
	b.WriteString("---\n")
	fmt.Fprintf(&b, "title: %s\n", yamlString(p.title))
	fmt.Fprintf(&b, "date: %s\n", p.date.Format(time.DateOnly))
	fmt.Fprintf(&b, "summary: %s\n", yamlString(p.summary))
	fmt.Fprintf(&b, "authors: [%s]\n", yamlList(p.authors))
	fmt.Fprintf(&b, "tags: [%s]\n", strings.Join(p.tags, ", "))
	b.WriteString("lang: en\n")
	if p.alias {
		fmt.Fprintf(&b, "aliases: [%s]\n", yamlString(fmt.Sprintf("/%d/%02d/%s.html", p.date.Year(), p.date.Month(), p.slug)))
	}
	if len(p.related) > 0 {
		var rel []string
		for _, j := range p.related {
			rel = append(rel, pubs[j].path())
		}
		fmt.Fprintf(&b, "related: [%s]\n", strings.Join(rel, ", "))
	}
	pdfName := p.slug + ".pdf"
	if p.pdf != "" {
		fmt.Fprintf(&b, "attachments:\n  - file: %s\n    title: %s\n", pdfName, yamlString("Full report (PDF)"))
	}
	b.WriteString("---\n\n")
	words = writeBody(&b, rng, i, pubs, text, cfg.words())
	if err := os.WriteFile(filepath.Join(bundle, "index.md"), b.Bytes(), 0o644); err != nil {
		return 0, 0, 0, err
	}
	if p.pdf != "" {
		n, err := linkOrCopy(filepath.Join(cfg.PDFDir, p.pdf), filepath.Join(bundle, pdfName))
		if err != nil {
			return 0, 0, 0, err
		}
		pdfBytes = n
	}
	return words, int64(b.Len()), pdfBytes, nil
}

// body writes paragraphs of consecutive sentences under headings, with
// lists, one table, footnotes and links, until about target words.
type body struct {
	b     *bytes.Buffer
	rng   *rand.Rand
	text  *prose
	pos   int // next sentence
	words int
	notes []string
}

func (w *body) sentence() string {
	if w.rng.IntN(12) == 0 {
		w.pos = w.rng.IntN(len(w.text.sentences)) // a new passage
	}
	s := w.text.sentences[w.pos%len(w.text.sentences)]
	w.pos++
	w.words += len(strings.Fields(s))
	return s
}

func (w *body) paragraph(link string) {
	n := 3 + w.rng.IntN(4)
	for k := range n {
		if k > 0 {
			w.b.WriteByte(' ')
		}
		w.b.WriteString(w.sentence())
		if k == n-2 && w.rng.IntN(5) == 0 {
			w.notes = append(w.notes, w.sentence())
			fmt.Fprintf(w.b, "[^%d]", len(w.notes))
		}
	}
	if link != "" {
		w.b.WriteString(" " + link)
	}
	w.b.WriteString("\n\n")
}

func writeBody(b *bytes.Buffer, rng *rand.Rand, i int, pubs []*pub, text *prose, target int) int {
	target = target*4/5 + rng.IntN(target*2/5+1)
	w := &body{b: b, rng: rng, text: text, pos: rng.IntN(len(text.sentences))}
	link := func() string {
		switch r := rng.IntN(10); {
		case r < 3 && len(pubs) > 1:
			j := rng.IntN(len(pubs))
			if j == i {
				j = (j + 1) % len(pubs)
			}
			return fmt.Sprintf("See also [%s](%s).", pubs[j].title, pubs[j].url())
		case r == 3:
			t := pubs[i].tags[rng.IntN(len(pubs[i].tags))]
			return fmt.Sprintf("More on [%s](/tags/%s/).", strings.ReplaceAll(t, "-", " "), t)
		}
		return ""
	}
	w.paragraph("")
	w.paragraph(link())
	tableAt := 1 + rng.IntN(3)
	for section := 0; w.words < target; section++ {
		fmt.Fprintf(b, "## %s\n\n", phrase(text.sentences[rng.IntN(len(text.sentences))], 2+rng.IntN(5)))
		for range 1 + rng.IntN(3) {
			w.paragraph(link())
		}
		switch {
		case section == tableAt:
			writeTable(w)
		case rng.IntN(3) == 0:
			writeList(w)
		case rng.IntN(4) == 0:
			fmt.Fprintf(b, "### %s\n\n", phrase(text.sentences[rng.IntN(len(text.sentences))], 2+rng.IntN(4)))
			w.paragraph(link())
		}
		w.paragraph("")
	}
	for k, note := range w.notes {
		fmt.Fprintf(b, "[^%d]: %s\n", k+1, note)
	}
	return w.words
}

func writeList(w *body) {
	numbered := w.rng.IntN(3) == 0
	for k := range 3 + w.rng.IntN(3) {
		if numbered {
			fmt.Fprintf(w.b, "%d. %s\n", k+1, w.sentence())
		} else {
			fmt.Fprintf(w.b, "- %s\n", w.sentence())
		}
	}
	w.b.WriteString("\n")
}

func writeTable(w *body) {
	w.b.WriteString("| Region | Cases documented | Requests refused | Still detained |\n| --- | ---: | ---: | ---: |\n")
	start := w.rng.IntN(len(regions))
	for k := range 3 + w.rng.IntN(4) {
		fmt.Fprintf(w.b, "| %s | %d | %d | %d |\n", regions[(start+k)%len(regions)], 5+w.rng.IntN(200), w.rng.IntN(40), w.rng.IntN(25))
		w.words += 5
	}
	w.b.WriteString("\n")
}

// TextPDFs lists the PDFs of dir that SOURCES.tsv describes as having a
// readable text layer: not scanned, encrypted or broken. Sorted by name.
func TextPDFs(dir string) ([]string, error) {
	src, err := os.ReadFile(filepath.Join(dir, "SOURCES.tsv"))
	if err != nil {
		return nil, fmt.Errorf("PDF list: %w", err)
	}
	var out []string
	for n, line := range strings.Split(string(src), "\n") {
		cols := strings.Split(line, "\t")
		if n == 0 || len(cols) < 2 {
			continue
		}
		name, kind := cols[0], cols[1]
		if kind == "scanned" || kind == "encrypted" || strings.HasPrefix(kind, "broken") {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return nil, fmt.Errorf("PDF list: %w", err)
		}
		out = append(out, name)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("PDF list: no text-bearing PDF in %s/SOURCES.tsv", dir)
	}
	return out, nil
}

// linkOrCopy makes dst the same bytes as src: a hard link, which costs no
// space, or a copy when the two are on different file systems.
func linkOrCopy(src, dst string) (int64, error) {
	info, err := os.Stat(src)
	if err != nil {
		return 0, err
	}
	if err := os.Link(src, dst); err == nil {
		return info.Size(), nil
	}
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// phrase makes a title or heading of the first n words of a sentence.
func phrase(s string, n int) string {
	f := strings.Fields(s)
	f = f[:min(n, len(f))]
	out := strings.Join(f, " ")
	out = strings.TrimRightFunc(out, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	out = strings.TrimLeft(out, "\"“'(")
	if out == "" {
		return "Findings"
	}
	return out
}

func slugify(s string) string {
	var words []string
	for _, f := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) {
		words = append(words, f)
		if len(words) == 6 {
			break
		}
	}
	if len(words) == 0 {
		return "publication"
	}
	return strings.Join(words, "-")
}

func sectionTitle(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// yamlString writes s as a double-quoted YAML scalar.
func yamlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func yamlList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = yamlString(s)
	}
	return strings.Join(q, ", ")
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// forEach calls fn(0..n-1) on one goroutine per core.
func forEach(n int, fn func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
