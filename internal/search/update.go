package search

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"

	"archive/internal/atomicfile"

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
// built in memory (Options.CacheDir "") or opened by Open (see
// updateSaved). Only the documents whose text or
// language changed, and new ones, are indexed again, and those no longer
// in the content removed, in one batch; entries are made anew from cs.
// The counts are in Stats (Reindexed, Removed).
//
// x stays usable while Update runs and after it returns, but from then on
// answers searches from the new index: the two share the bleve index,
// which the newest owns (closing x does nothing). If Update fails, x and
// its index are unchanged, unless the error says otherwise.
func (x *Index) Update(ctx context.Context, cs *content.Site, pdfs map[string]*pdftext.Document) (*Index, error) {
	finish, err := x.PrepareUpdate(ctx, cs, pdfs)
	if err != nil {
		return nil, err
	}
	return finish(ctx)
}

// PrepareUpdate does the part of Update that reads the publications'
// bodies (their Doc, parsing those it must), and returns the rest, which
// reads none of them: a redeploy renders its pages, which parses some
// bodies, while finish indexes. Updates wait for each other from
// PrepareUpdate until finish returns; finish must be called.
func (x *Index) PrepareUpdate(ctx context.Context, cs *content.Site, pdfs map[string]*pdftext.Document) (finish func(context.Context) (*Index, error), err error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("update search index: %w", err)
	}
	g := x.gen
	g.update.Lock()
	rest, err := x.prepareLocked(cs, pdfs, start)
	if err != nil {
		g.update.Unlock()
		return nil, err
	}
	return func(ctx context.Context) (*Index, error) {
		defer g.update.Unlock()
		return rest(ctx)
	}, nil
}

// prepareLocked is PrepareUpdate, with the generations' update lock held.
func (x *Index) prepareLocked(cs *content.Site, pdfs map[string]*pdftext.Document, start time.Time) (func(context.Context) (*Index, error), error) {
	cur, done, err := x.current()
	if err != nil {
		return nil, fmt.Errorf("update search index: %w", err)
	}
	done() // only Update changes cur, and the update lock is held
	if cur.sums == nil && cur.stats.Cached && cur.stats.Dir != "" && cur.savedTexts() != nil {
		return cur.updateSaved(cs, pdfs, start)
	}
	if cur.sums == nil {
		return nil, errors.New("update search index: only an index built in memory (no cache folder) or opened by Open can be updated")
	}
	docs := collect(cs, pdfs)
	return func(ctx context.Context) (*Index, error) { return cur.updateMemory(ctx, docs, start) }, nil
}

// updateMemory updates x, built in memory, for docs.
func (x *Index) updateMemory(ctx context.Context, docs []doc, start time.Time) (*Index, error) {
	g := x.gen
	y := &Index{bi: x.bi, analyzers: x.analyzers, prefix: x.prefix, gen: g, log: x.log}
	byID := y.prepare(docs)
	y.sums = fingerprints(docs)
	dm := &documentMaker{analyzers: y.analyzers}
	b := x.bi.NewBatch()
	for _, d := range docs {
		if sum, ok := x.sums[d.id]; ok && sum == y.sums[d.id] {
			continue
		}
		if err := b.IndexAdvanced(dm.document(d, nil)); err != nil {
			return nil, fmt.Errorf("update search index: %s: %w", d.id, err)
		}
		y.stats.Reindexed++
	}
	for id := range x.sums {
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
		if err := x.bi.Batch(b); err != nil {
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
	y.own(x.closer)
	x.cleanup.Stop()
	g.newest = y
	y.stats.Took = time.Since(start)
	return y, nil
}

// An index opened by Open is read-only, and may be served by other
// processes (a build's replicas), so it is never changed: updateSaved
// updates a copy of its bleve index, made beside it in the cache folder
// with hard links to its segments (which bleve never rewrites; only its
// root file is copied), and returns an index of the copy, with an
// generation of its own: x goes on answering as it did. The documents that
// did not change keep their saved text; what changed is told without the
// old text, which only the saved texts hold:
//
//   - a publication's page, by its metadata and its file's SHA-256: the
//     same Markdown makes the same blocks (the caller gives the content an
//     index may be updated for: loaded with the same Markdown options);
//     one the content parsed again is compared with the saved text;
//   - a PDF page, by its ID, which names the file's SHA-256, the language
//     group and the page, and its length.
//
// A publication the content took over without its body (Doc nil) that
// must be indexed again is parsed here (content.Site.ParseBodies).
func (x *Index) updateSaved(cs *content.Site, pdfs map[string]*pdftext.Document, start time.Time) (func(context.Context) (*Index, error), error) {
	old := make(map[string]*entry, len(x.docs.first))
	for _, e := range x.docs.entry {
		if old[e.id] == nil {
			old[e.id] = e
		}
	}
	var parse []*content.Publication
	for _, p := range slices.Concat(cs.Publications, cs.Pages, cs.Documents) {
		e := old["page:"+p.URL]
		if p.Doc == nil && !p.Document && (e == nil || e.pub.Source != p.Source || e.pub.SourceSHA256 != p.SourceSHA256 || metaText(e.pub) != metaText(p)) {
			parse = append(parse, p)
		}
	}
	if err := cs.ParseBodies(parse); err != nil {
		return nil, fmt.Errorf("update search index: %w", err)
	}
	texts, err := x.savedTexts().reopen()
	if err != nil {
		return nil, fmt.Errorf("update search index: %w", err)
	}
	docs := collect(cs, pdfs)
	changed := make([]bool, len(docs))
	for i := range docs {
		d := &docs[i]
		o := old[d.id]
		switch {
		case o == nil || o.group != d.entry.group:
			changed[i] = true
		case d.entry.att != nil:
			changed[i] = o.size != d.entry.size
		case d.entry.pub.Document:
			// No blocks: its metadata is its whole text.
			changed[i] = metaText(o.pub) != metaText(d.entry.pub)
		case d.entry.pub.Doc == nil:
			// Taken over, with the file and metadata of the saved text
			// (checked above), which alone holds its blocks.
			e := *d.entry
			e.text, e.size, e.texts, e.off = o.text, o.size, texts, o.off
			d.entry = &e
		default:
			same, err := sameSavedText(o, d.entry)
			if err != nil {
				texts.close()
				return nil, fmt.Errorf("update search index: %w", err)
			}
			changed[i] = !same
		}
	}
	dir := filepath.Join(filepath.Dir(x.stats.Dir), "index-"+updatedKey(x.stats.Dir, cs))
	return func(ctx context.Context) (*Index, error) {
		return x.indexSaved(ctx, docs, changed, old, texts, dir, start)
	}, nil
}

// indexSaved finishes updateSaved, in dir: it indexes the docs that
// changed and removes those of old no longer in docs.
func (x *Index) indexSaved(ctx context.Context, docs []doc, changed []bool, old map[string]*entry, texts *savedTexts, dir string, start time.Time) (*Index, error) {
	y := &Index{analyzers: x.analyzers, prefix: x.prefix, log: x.log}
	byID := y.prepare(docs)
	dm := &documentMaker{analyzers: y.analyzers}
	present := make(map[string]bool, len(docs))
	for _, d := range docs {
		present[d.id] = true
	}
	err := atomicfile.WriteDir(dir, func(tmp string) error {
		if err := linkIndex(filepath.Join(x.stats.Dir, "index"), filepath.Join(tmp, "index")); err != nil {
			return err
		}
		// An index built large keeps the plan that defers merges
		// (deferredMerges): updated with it, it would gain a segment
		// on every update and never merge them.
		bi, err := bleve.OpenUsing(filepath.Join(tmp, "index"), mergePlanConfig(mergeplan.DefaultMergePlanOptions))
		if err != nil {
			return err
		}
		b := bi.NewBatch()
		for i, d := range docs {
			if !changed[i] {
				continue
			}
			if err := b.IndexAdvanced(dm.document(d, nil)); err != nil {
				bi.Close()
				return fmt.Errorf("%s: %w", d.id, err)
			}
			y.stats.Reindexed++
		}
		for id := range old {
			if !present[id] {
				b.Delete(id)
				y.stats.Removed++
			}
		}
		if err := ctx.Err(); err != nil {
			bi.Close()
			return err
		}
		if b.Size() > 0 {
			if err := bi.Batch(b); err != nil {
				bi.Close()
				return err
			}
		}
		return bi.Close()
	})
	if err == nil {
		y.bi, err = openComplete(dir)
	}
	if err == nil {
		if err = y.number(byID); err != nil {
			y.bi.Close()
		}
	}
	if err != nil {
		texts.close()
		return nil, fmt.Errorf("update search index %s: %w", dir, err)
	}
	y.stats.Dir, y.stats.Cached = dir, true
	y.gen = &generations{newest: y}
	y.own(&closer{bi: y.bi, texts: texts})
	y.stats.Took = time.Since(start)
	return y, nil
}

// savedTexts is the texts an index made by Open reads, nil for one built
// from content.
func (x *Index) savedTexts() *savedTexts {
	for _, e := range x.docs.entry {
		if e.texts != nil {
			return e.texts
		}
	}
	return nil
}

// metaText is what a publication's document holds besides its blocks.
func metaText(p *content.Publication) string {
	return strings.Join([]string{p.Title, p.Summary, authorsText(p), strings.Join(slices.Concat(p.Tags, p.Categories, p.Keywords), ", ")}, "\x00")
}

// sameSavedText reports whether e, collected from the content, holds the
// text and segments of o, an entry of a saved index.
func sameSavedText(o, e *entry) (bool, error) {
	if o.size != e.size || len(o.text) != len(e.text) {
		return false, nil
	}
	for i, s := range e.text {
		if o.text[i] != s {
			return false, nil
		}
	}
	saved, err := o.texts.read(o.id, o.off, o.size)
	if err != nil {
		return false, err
	}
	var b strings.Builder
	for i, s := range e.text {
		if i > 0 {
			b.WriteString(segSep)
		}
		b.WriteString(e.segText(s))
	}
	return b.String() == saved, nil
}

// updatedKey names the updated copy of the index in dir for cs: the same
// update of the same index makes the same folder.
func updatedKey(dir string, cs *content.Site) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("update %d\n%s\n%s", indexVersion, filepath.Base(dir), cs.Hash)))
	return hex.EncodeToString(sum[:])[:24]
}

// linkIndex makes dst a copy of the bleve (scorch) index src: its segment
// files hard-linked (copied where links fail), which scorch writes once
// and never changes, and its other files (the root, which an update
// rewrites, and the metadata) copied.
func linkIndex(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if strings.HasSuffix(p, ".zap") && os.Link(p, target) == nil {
			return nil
		}
		return copyFile(p, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
