package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/fstest"

	"archive/internal/content"
)

// TestManyBatches builds an index on disk in twice as many batches as it
// has goroutines to add them from, so that batches count their terms in
// memory a batch before them used (batchMemory), and finds every document
// by its own words and by its own phrase: counts or locations that bleve
// still read once the memory was handed on would be another document's.
func TestManyBatches(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	vocab := strings.Fields("river delta flood spring dune desert wind year police report letter archive")
	// Text for twice as many batches of diskBatchBytes as there are
	// goroutines, and a little more.
	const paragraphs, words = 20, 100
	docs := (2*addWorkers()*diskBatchBytes)/(paragraphs*words*6) + 10
	fsys := fstest.MapFS{}
	for i := range docs {
		var b strings.Builder
		for p := range paragraphs {
			for range words {
				b.WriteString(vocab[rnd.IntN(len(vocab))])
				b.WriteByte(' ')
			}
			if p == i%paragraphs {
				fmt.Fprintf(&b, "own%d phrase%d words%d ", i, i, i)
			}
			b.WriteString("\n\n")
		}
		body := fmt.Sprintf("---\ntitle: Report %d\ndate: 2022-01-%02d\n---\n%s", i, 1+i%28, b.String())
		fsys[fmt.Sprintf("reports/r%04d.md", i)] = &fstest.MapFile{Data: []byte(body)}
	}
	cs, _, err := content.Load(fsys, content.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x, err := Build(context.Background(), cs, nil, Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for i := range docs {
		url := fmt.Sprintf("/reports/r%04d/", i)
		for _, q := range []string{fmt.Sprintf("own%d", i), fmt.Sprintf(`"own%d phrase%d words%d"`, i, i, i)} {
			res, err := x.Search(context.Background(), Request{Query: q})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Hits) != 1 || res.Hits[0].PublicationURL != url {
				t.Errorf("Search(%s): %d hits (%v), want %s alone", q, len(res.Hits), res.Hits, url)
				continue
			}
			if want := fmt.Sprintf("<mark>own%d", i); !strings.Contains(string(res.Hits[0].Passage.Snippet), want) {
				t.Errorf("Search(%s): snippet %q lacks %s", q, res.Hits[0].Passage.Snippet, want)
			}
		}
	}
}
