package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/fstest"

	index "github.com/blevesearch/bleve_index_api"

	"archive/internal/content"
)

// TestHotTermReader walks every term kept in memory with the reader of
// memory and bleve's reader of the files side by side, moving both the
// same random ways (on, forward, back, past the end), and wants the same
// documents, frequencies, norms and counts: after a build, and after an
// update that removed and changed documents, which leaves gaps in bleve's
// numbers.
func TestHotTermReader(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 8))
	// Words drawn unevenly, as a language's are: a few in most notes.
	words := make([]string, 400)
	for i := range words {
		words[i] = fmt.Sprintf("w%dx", i)
	}
	text := func() string {
		var b strings.Builder
		for range 20 + rnd.IntN(200) {
			b.WriteString(words[int(float64(len(words))*rnd.Float64()*rnd.Float64()*rnd.Float64())])
			b.WriteByte(' ')
		}
		return b.String()
	}
	fsys := fstest.MapFS{}
	for i := range 300 {
		body := fmt.Sprintf("---\ntitle: Note %d\ndate: 2022-01-%02d\n---\n%s\n\n%s\n", i, 1+i%28, text(), text())
		fsys[fmt.Sprintf("notes/n%03d.md", i)] = &fstest.MapFile{Data: []byte(body)}
	}
	load := func() *content.Site {
		t.Helper()
		cs, _, err := content.Load(fsys, content.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	x, err := Build(context.Background(), load(), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	compareHot(t, x, rnd)
	for i := range 300 {
		name := fmt.Sprintf("notes/n%03d.md", i)
		switch i % 7 {
		case 0:
			delete(fsys, name)
		case 1:
			fsys[name].Data = fmt.Appendf(nil, "---\ntitle: Note %d, again\ndate: 2022-02-01\n---\n%s\n", i, text())
		}
	}
	y, err := x.Update(context.Background(), load(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if y.stats.Removed == 0 {
		t.Fatal("the update removed nothing")
	}
	compareHot(t, y, rnd)
}

func compareHot(t *testing.T, x *Index, rnd *rand.Rand) {
	t.Helper()
	r, err := readerOf(x.bi)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	last, err := r.DocCount()
	if err != nil {
		t.Fatal(err)
	}
	last += uint64(x.stats.Removed) // numbers run past the count where documents were removed
	ctx := context.Background()
	compared := 0
	for _, field := range []string{textField(groupEN), pairField(groupEN)} {
		dict, err := r.FieldDict(field)
		if err != nil {
			t.Fatal(err)
		}
		var terms []string
		for {
			e, err := dict.Next()
			if err != nil {
				t.Fatal(err)
			}
			if e == nil {
				break
			}
			// The dictionary counts removed documents too.
			if e.Count >= hotMinDocs {
				terms = append(terms, e.Term)
			}
		}
		dict.Close()
		for _, term := range terms {
			name := fmt.Sprintf("%s %q", field, term)
			files, err := r.TermFieldReader(ctx, []byte(term), field, true, true, false)
			if err != nil {
				t.Fatal(err)
			}
			if files.Count() < hotMinDocs {
				files.Close()
				continue
			}
			// As a search would: the first reader comes from the files and
			// asks for the term; once it is read, the next is memory's.
			mem := hotReader{IndexReader: r, x: x}
			first, err := mem.TermFieldReader(ctx, []byte(term), field, true, true, false)
			if err != nil {
				t.Fatal(err)
			}
			first.Close()
			x.hot.wg.Wait()
			ours, err := mem.TermFieldReader(ctx, []byte(term), field, true, true, false)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := ours.(*hotTermReader); !ok {
				t.Fatalf("%s: read from the files", name)
			}
			if a, b := files.Count(), ours.Count(); a != b {
				t.Errorf("%s: count %d, want %d", name, b, a)
			}
			compared++
			var steps []string
			ended, found, at := false, false, uint64(0) // at: the last document found
			for range 60 {
				var a, b *index.TermFieldDoc
				var errA, errB error
				switch {
				case ended && !found:
					// Nor does it start again from an end it went to
					// straight away: start both anew.
					files.Close()
					ours.Close()
					files, _ = r.TermFieldReader(ctx, []byte(term), field, true, true, false)
					ours, _ = mem.TermFieldReader(ctx, []byte(term), field, true, true, false)
					steps = append(steps, "anew")
					a, errA = files.Next(nil)
					b, errB = ours.Next(nil)
				case ended:
					// Bleve's reader, once at its end, starts again only
					// when moved back from the last document it found.
					to := index.NewIndexInternalID(nil, rnd.Uint64N(at+1))
					steps = append(steps, fmt.Sprintf("back to %d", to.Value()))
					a, errA = files.Advance(to, nil)
					b, errB = ours.Advance(to, nil)
				case rnd.IntN(2) == 0:
					steps = append(steps, "next")
					a, errA = files.Next(nil)
					b, errB = ours.Next(nil)
				default:
					to := index.NewIndexInternalID(nil, rnd.Uint64N(last+3))
					steps = append(steps, fmt.Sprintf("advance %d", to.Value()))
					a, errA = files.Advance(to, nil)
					b, errB = ours.Advance(to, nil)
				}
				if errA != nil || errB != nil {
					t.Fatalf("%s after %v: errors %v, %v", name, steps, errA, errB)
				}
				if (a == nil) != (b == nil) || a != nil && (a.ID.Value() != b.ID.Value() || a.Freq != b.Freq || a.Norm != b.Norm) {
					t.Fatalf("%s after %v: got %s, want %s", name, steps, describe(b), describe(a))
				}
				if ended = a == nil; !ended {
					found, at = true, a.ID.Value()
				}
			}
			files.Close()
			ours.Close()
		}
	}
	if compared < 50 {
		t.Errorf("%d terms compared: the test compares too little", compared)
	}
}

func describe(d *index.TermFieldDoc) string {
	if d == nil {
		return "the end"
	}
	return fmt.Sprintf("document %d freq %d norm %v", d.ID.Value(), d.Freq, d.Norm)
}
