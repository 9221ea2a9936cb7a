package search

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"archive/internal/content"
	"archive/internal/pdftext"
)

// An index in memory is updated in place: Update sends bleve the documents
// whose text changed and makes a new Index, a new generation, with new
// entries and numbers for the same bleve index. The server swaps to it
// when Update returns, but searches still running on the old generation,
// or started on it before the swap, see the bleve index change under them:
// bleve renumbers documents, so the old table would map them to the wrong
// hits. Generations therefore share a lock, and a search on any of them
// answers from the newest.

// generations is what the Indexes made from one Build share.
type generations struct {
	// mu is read-locked by searches and write-locked while Update changes
	// the bleve index and numbers its documents.
	mu     sync.RWMutex
	newest *Index
	// err is set when an Update failed after it began to change the bleve
	// index: no generation's table can be trusted any more.
	err error
	// update makes Updates wait for each other.
	update sync.Mutex
}

// current returns the newest generation of x, read-locked until done is
// called.
func (x *Index) current() (newest *Index, done func(), err error) {
	g := x.gen
	g.mu.RLock()
	if g.err != nil {
		g.mu.RUnlock()
		return nil, nil, g.err
	}
	return g.newest, g.mu.RUnlock, nil
}

// Update returns an index of cs and pdfs made from x, which must have been
// built in memory (Options.CacheDir ""). Only the documents whose text or
// language changed, and new ones, are indexed again, and those no longer
// in the content removed, in one batch; entries are made anew from cs.
// The counts are in Stats (Reindexed, Removed).
//
// x stays usable while Update runs and after it returns, but from then on
// answers searches from the new index: the two share the bleve index,
// which the newest owns (closing x does nothing). If Update fails, x and
// its index are unchanged, unless the error says otherwise.
func (x *Index) Update(ctx context.Context, cs *content.Site, pdfs map[string]*pdftext.Document) (*Index, error) {
	start := time.Now()
	g := x.gen
	g.update.Lock()
	defer g.update.Unlock()
	cur, done, err := x.current()
	if err != nil {
		return nil, fmt.Errorf("update search index: %w", err)
	}
	done() // only Update changes cur, and g.update is held
	if cur.sums == nil {
		return nil, errors.New("update search index: only an index built in memory (no cache folder) can be updated")
	}

	docs := collect(cs, pdfs)
	y := &Index{bi: cur.bi, analyzers: cur.analyzers, prefix: cur.prefix, gen: g}
	byID := y.prepare(docs)
	y.sums = fingerprints(docs)
	dm := &documentMaker{analyzers: y.analyzers}
	b := cur.bi.NewBatch()
	for _, d := range docs {
		if sum, ok := cur.sums[d.id]; ok && sum == y.sums[d.id] {
			continue
		}
		if err := b.IndexAdvanced(dm.document(d)); err != nil {
			return nil, fmt.Errorf("update search index: %s: %w", d.id, err)
		}
		y.stats.Reindexed++
	}
	for id := range cur.sums {
		if _, ok := y.sums[id]; !ok {
			b.Delete(id)
			y.stats.Removed++
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("update search index: %w", err)
	}

	g.mu.Lock()
	defer g.mu.Unlock()
	if b.Size() > 0 {
		if err := cur.bi.Batch(b); err != nil {
			// Some of the batch may be in: neither table fits for sure.
			g.err = fmt.Errorf("search index out of step with the content after a failed update (restart the server): %w", err)
			return nil, g.err
		}
	}
	// Renumber even when nothing was sent: the entries are new.
	if err := y.number(byID); err != nil {
		g.err = fmt.Errorf("search index out of step with the content after an update (restart the server): %w", err)
		return nil, g.err
	}
	y.own(cur.closer)
	cur.cleanup.Stop()
	g.newest = y
	y.stats.Took = time.Since(start)
	return y, nil
}
