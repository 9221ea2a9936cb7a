package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	index "github.com/blevesearch/bleve_index_api"
)

// locate finds where the query's words stand in the hits, for their
// snippets and links: the positions and byte offsets of each index term
// of the query's positive terms in each hit's document, read from r, the
// reader the hits were found with. Asking bleve for locations in the
// first search would decode them for every matching document, which for
// a common word is most of the index; a second bleve search limited to
// the hits by their IDs looks each ID up in every segment and collects
// its matches like a search of its own, which was a quarter of the time
// of a search at 10,000 publications. Here each term's postings are read
// with positions at the hits' documents only.
func (x *Index) locate(ctx context.Context, r index.IndexReader, p *plan, hits []scored) (map[string]termLocs, error) {
	if p.q.Empty() || len(hits) == 0 {
		return nil, nil
	}
	// The hits' documents, by language group, in the order of their
	// numbers (a reader only moves forward).
	docs := map[string][]uint64{}
	ids := map[uint64]string{}
	for _, h := range hits {
		n := x.docs.document(h.num)
		if _, ok := ids[n]; !ok {
			ids[n] = h.e.id
			docs[h.e.group] = append(docs[h.e.group], n)
		}
	}
	out := make(map[string]termLocs, len(ids))
	for g, ns := range docs {
		slices.Sort(ns)
		field := textField(g)
		terms, err := locationTerms(r, p.positive[g], field)
		if err != nil {
			return nil, err
		}
		for _, term := range terms {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := readLocations(ctx, r, field, term, ns, ids, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// locationTerms lists the index terms of field whose locations show the
// terms as: every token of words and phrases, and the terms of the index
// that prefixes expand to, with the stems they may have been cut back to.
func locationTerms(r index.IndexReader, as []analysed, field string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(t string) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, a := range as {
		for _, ts := range slices.Concat(a.toks, a.lead) {
			for _, t := range ts {
				add(t)
			}
		}
		if a.prefix == "" {
			continue
		}
		for _, c := range a.cuts {
			add(c)
		}
		dict, err := r.FieldDictPrefix(field, []byte(a.prefix))
		if err != nil {
			return nil, err
		}
		for n := 0; ; n++ {
			e, err := dict.Next()
			if err != nil {
				dict.Close()
				return nil, err
			}
			if e == nil {
				break
			}
			if n == maxPrefixTerms {
				// The search itself refused such a prefix; this is a guard.
				dict.Close()
				return nil, fmt.Errorf("prefix %q: TooManyClauses", a.prefix)
			}
			add(e.Term)
		}
		if err := dict.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readLocations adds the locations of term in field, in the documents ns
// (sorted), to out, by the IDs of the documents.
func readLocations(ctx context.Context, r index.IndexReader, field, term string, ns []uint64, ids map[uint64]string, out map[string]termLocs) error {
	tfr, err := r.TermFieldReader(ctx, []byte(term), field, false, false, true)
	if err != nil {
		return err
	}
	defer tfr.Close()
	if tfr.Count() == 0 {
		return nil
	}
	var d *index.TermFieldDoc
	var id index.IndexInternalID
	for _, n := range ns {
		// A reader moved to where it stands starts again from the first
		// document: move it only when behind.
		if d == nil || d.ID.Value() < n {
			id = index.NewIndexInternalID(id, n)
			if d, err = tfr.Advance(id, d); err != nil {
				return err
			}
			if d == nil {
				return nil // no more documents hold it
			}
		}
		if d.ID.Value() != n {
			continue
		}
		doc := out[ids[n]]
		if doc == nil {
			doc = termLocs{}
			out[ids[n]] = doc
		}
		ls := make([]loc, len(d.Vectors))
		for j, v := range d.Vectors {
			ls[j] = loc{pos: int(v.Pos), start: int(v.Start), end: int(v.End)}
		}
		doc.add(term, ls)
	}
	return nil
}

// loc is where an index term stands in a document: its token's position
// and byte offsets in the document's text.
type loc struct{ pos, start, end int }

// termLocs are the locations of index terms in one document, each term's
// in the order of their positions, where a phrase's next word is found by
// a binary search: bleve's *search.Location, in maps of maps, and a map by
// position per hit to find the next words allocated for every location.
type termLocs map[string][]loc

// add sets the locations of term, sorting them by position if they are
// not (a reader gives them in order).
func (t termLocs) add(term string, ls []loc) {
	if !slices.IsSortedFunc(ls, byPos) {
		slices.SortStableFunc(ls, byPos)
	}
	t[term] = ls
}

func byPos(a, b loc) int { return cmp.Compare(a.pos, b.pos) }

// at is the location of term at position pos, if it stands there.
func (t termLocs) at(term string, pos int) (loc, bool) {
	ls := t[term]
	i, ok := slices.BinarySearchFunc(ls, pos, func(l loc, pos int) int { return cmp.Compare(l.pos, pos) })
	if !ok {
		return loc{}, false
	}
	return ls[i], true
}
