package search

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	"github.com/google/go-cmp/cmp"

	"archive/internal/content"
)

// TestPairTokens: a pair for each two pair words side by side, at the
// first one's position, and none across the gap between two segments.
func TestPairTokens(t *testing.T) {
	tok := func(term string, pos int) *analysis.Token { return &analysis.Token{Term: []byte(term), Position: pos} }
	toks := analysis.TokenStream{tok("the", 1), tok("go", 2), tok("team", 3), tok("go", 4), tok("go", 5), tok("so", 5+segGap), tok("so", 6+segGap)}
	words := map[string]bool{"the": true, "go": true, "so": true}
	type pair struct {
		Term string
		Pos  int
	}
	var got []pair
	for _, p := range pairTokens(toks, words) {
		got = append(got, pair{string(p.Term), p.Position})
	}
	want := []pair{{"the go", 1}, {"go go", 4}, {"so so", 5 + segGap}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pairTokens (-want +got):\n%s", diff)
	}
}

// TestPairsAgainstWordPositions compares the phrase searcher, which
// matches on word pairs, with bleve's own phrase searcher, which reads
// the words' positions, over the Go blog's articles: phrases cut from
// their paragraphs (words common and rare, code, possessives, full
// stops), the same with two words swapped, and the end of a paragraph
// with the start of the next, must find the same documents with the same
// scores (normalised by the query's weight, as bleve's are). So must the
// phrase searcher matching every word but the rarest on the text, over
// the index as built and as opened from its saved texts.
func TestPairsAgainstWordPositions(t *testing.T) {
	dir := corpusDir(t)
	cs, _, err := content.Load(os.DirFS(dir), content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	x, err := Build(context.Background(), cs, nil, Options{CacheDir: filepath.Join(tmp, "cache")})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	opened := savedAndOpened(t, x, cs, tmp)
	an := x.analyzers[groupEN]
	rnd := rand.New(rand.NewPCG(17, 1))
	var phrases [][]string
	for len(phrases) < 600 {
		p := cs.Publications[rnd.IntN(len(cs.Publications))]
		if p.Doc == nil || len(p.Doc.Blocks) < 2 || groupOf(p.Lang) != groupEN {
			continue
		}
		i := rnd.IntN(len(p.Doc.Blocks) - 1)
		words := terms(an.Analyze([]byte(p.Doc.Blocks[i].Text)))
		if len(words) < 7 {
			continue
		}
		n := 2 + rnd.IntN(5)
		at := rnd.IntN(len(words) - n)
		phrase := slices.Clone(words[at : at+n])
		phrases = append(phrases, phrase)
		swapped := slices.Clone(phrase)
		k := rnd.IntN(n - 1)
		swapped[k], swapped[k+1] = swapped[k+1], swapped[k]
		phrases = append(phrases, swapped)
		if next := terms(an.Analyze([]byte(p.Doc.Blocks[i+1].Text))); len(next) >= 2 {
			phrases = append(phrases, append(slices.Clone(words[len(words)-2:]), next[:2]...))
		}
	}
	field := textField(groupEN)
	found, paired, inText := 0, 0, 0
	for _, phrase := range phrases {
		q := &phraseQuery{terms: phrase, field: field, pairs: pairWordsOf(x.analyzers[groupEN])}
		if x.pairUnits(t, q) > 0 {
			paired++
		}
		ours := x.matches(t, q)
		bleves := x.matches(t, query.NewPhraseQuery(phrase, field))
		// An index without pairs matches the phrase on its words.
		if diff := cmp.Diff(ours, x.matches(t, &phraseQuery{terms: phrase, field: field})); diff != "" {
			t.Errorf("phrase %q (-pairs +words only):\n%s", phrase, diff)
		}
		for _, y := range []*Index{x, opened} {
			q := &phraseQuery{terms: phrase, field: field, pairs: q.pairs, text: y.segmentWords, textMin: 1}
			if y == x && y.textUnits(t, q) > 0 {
				inText++
			}
			if diff := cmp.Diff(ours, y.matches(t, q)); diff != "" {
				t.Errorf("phrase %q (-positions +on the text, opened %v):\n%s", phrase, y == opened, diff)
			}
		}
		if len(bleves) > 0 {
			found++
		}
		same := cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Abs(a) })
		if repeats(phrase) {
			// Bleve scores a word the phrase repeats once per time it
			// stands there; this package, as before the pairs, once.
			same = cmp.Comparer(func(a, b float64) bool { return true })
		}
		if diff := cmp.Diff(bleves, ours, same); diff != "" {
			t.Errorf("phrase %q (-bleve +pairs):\n%s", phrase, diff)
		}
	}
	// A phrase is matched on the text only where three units or more are
	// left after pairs: the longer phrases.
	if found < len(phrases)/3 || paired < len(phrases)/3 || inText < len(phrases)/10 {
		t.Errorf("of %d phrases, %d found anything, %d were matched on pairs and %d on the text: the test compares too little", len(phrases), found, paired, inText)
	}
	// The slowest phrase before the pairs is matched on pairs alone.
	q := &phraseQuery{terms: []string{"the", "go", "program", "languag"}, field: field, pairs: pairWordsOf(x.analyzers[groupEN])}
	if n := x.pairUnits(t, q); n != 3 {
		t.Errorf("the go program languag: %d pairs, want 3", n)
	}
}

// searcher is q's searcher on a reader of x's index, both closed when the
// test ends.
func (x *Index) searcher(t *testing.T, q query.Query) (search.Searcher, index.IndexReader) {
	t.Helper()
	r, err := readerOf(x.bi)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	s, err := q.Searcher(context.Background(), r, x.bi.Mapping(), search.SearcherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, r
}

// pairUnits counts the pairs among the units q's searcher matches.
func (x *Index) pairUnits(t *testing.T, q *phraseQuery) int {
	s, _ := x.searcher(t, q)
	n := 0
	for _, l := range s.(*phraseSearcher).chain {
		if s.(*phraseSearcher).units[l.unit].word < 0 {
			n++
		}
	}
	return n
}

// textUnits counts the units q's searcher matches on the text.
func (x *Index) textUnits(t *testing.T, q *phraseQuery) int {
	s, _ := x.searcher(t, q)
	n := 0
	for _, u := range s.(*phraseSearcher).units {
		if u.text {
			n++
		}
	}
	return n
}

func repeats(words []string) bool {
	return len(slices.Compact(slices.Sorted(slices.Values(words)))) < len(words)
}

// terms are the index terms of toks, in order.
func terms(toks analysis.TokenStream) []string {
	var out []string
	for _, t := range toks {
		out = append(out, string(t.Term))
	}
	return out
}

// matches runs q on x's index and returns the score of each document it
// matches, by bleve document number.
func (x *Index) matches(t *testing.T, q query.Query) map[uint64]float64 {
	t.Helper()
	s, r := x.searcher(t, q)
	if _, ok := q.(*phraseQuery); ok {
		// As bleve's phrase searcher does for its terms, and a parent
		// searcher for ours: the score of a query is normalised by its
		// weight.
		s.SetQueryNorm(1 / math.Sqrt(s.Weight()))
	}
	ctx := &search.SearchContext{DocumentMatchPool: search.NewDocumentMatchPool(s.DocumentMatchPoolSize()+1, 0), IndexReader: r}
	out := map[uint64]float64{}
	for {
		dm, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if dm == nil {
			return out
		}
		out[dm.IndexInternalID.Value()] = dm.Score
		ctx.DocumentMatchPool.Put(dm)
	}
}

// TestPairWordsKept: the pair words are chosen when an index is built and
// read back from it when it is reopened from the cache or opened from a
// build, so that queries ask for the pairs it holds.
func TestPairWordsKept(t *testing.T) {
	fsys := fstest.MapFS{}
	for i := range 30 {
		body := fmt.Sprintf("---\ntitle: Note %d\ndate: 2022-01-%02d\n---\nThe go programming language, note %d of the notes.\n", i, i%28+1, i)
		fsys[fmt.Sprintf("notes/n%d.md", i)] = &fstest.MapFile{Data: []byte(body)}
	}
	cs, _, err := content.Load(fsys, content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	built, err := Build(context.Background(), cs, nil, Options{CacheDir: filepath.Join(dir, "cache")})
	if err != nil {
		t.Fatal(err)
	}
	defer built.Close()
	want := pairWordsOf(built.analyzers[groupEN])
	if !want["the"] || !want["go"] || !want["note"] {
		t.Fatalf("pair words %v lack the commonest", want)
	}
	reopened, err := Build(context.Background(), cs, nil, Options{CacheDir: filepath.Join(dir, "cache")})
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	if !reopened.stats.Cached {
		t.Fatal("not reopened from the cache")
	}
	opened := savedAndOpened(t, built, cs, dir)
	for name, x := range map[string]*Index{"reopened": reopened, "opened": opened} {
		if diff := cmp.Diff(want, pairWordsOf(x.analyzers[groupEN])); diff != "" {
			t.Errorf("%s: pair words (-built +%s):\n%s", name, name, diff)
		}
		res, err := x.Search(context.Background(), Request{Query: `"the go programming language"`})
		if err != nil || res.Total != 30 {
			t.Errorf("%s: %v, total %d, want 30", name, err, res.Total)
		}
	}
}

// savedAndOpened saves x into dir and opens it from there, as serve -from
// does, closed when the test ends.
func savedAndOpened(t *testing.T, x *Index, cs *content.Site, dir string) *Index {
	t.Helper()
	saved := filepath.Join(dir, "saved")
	if err := x.Save(saved); err != nil {
		t.Fatal(err)
	}
	opened, err := Open(saved, cs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { opened.Close() })
	return opened
}
