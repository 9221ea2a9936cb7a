package search

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
)

// TestDeferredMerges: a large index's build keeps a segment per batch
// until mergeSegments merges them into one, or into two when the first
// batches' were merged while the others were added (earlyMerge), and an
// update's plan merges them as they come, as bleve's default does. Bleve reads the plans from
// the configuration's JSON, where a misnamed field is ignored without a
// word: only the segments tell.
func TestDeferredMerges(t *testing.T) {
	const batches = 12
	build := func(t *testing.T, config map[string]any, after func(bi bleve.Index, batch int)) (bleve.Index, *scorch.Scorch) {
		m, err := newMapping()
		if err != nil {
			t.Fatal(err)
		}
		bi, err := bleve.NewUsing(filepath.Join(t.TempDir(), "index"), m, scorch.Name, scorch.Name, config)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bi.Close() })
		for i := range batches {
			b := bi.NewBatch()
			if err := b.Index(fmt.Sprint(i), map[string]any{textField(groupStd): "word"}); err != nil {
				t.Fatal(err)
			}
			if err := bi.Batch(b); err != nil {
				t.Fatal(err)
			}
			if after != nil {
				after(bi, i)
			}
		}
		adv, err := bi.Advanced()
		if err != nil {
			t.Fatal(err)
		}
		return bi, adv.(*scorch.Scorch)
	}
	// segments waits until the index's segments are all on disk and stays
	// so, then counts them.
	segments := func(s *scorch.Scorch) uint64 {
		var n uint64
		steady := 0
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && steady < 20; time.Sleep(10 * time.Millisecond) {
			st := s.StatsMap()
			files, _ := st["num_root_filesegments"].(uint64)
			inMemory, _ := st["num_root_memorysegments"].(uint64)
			if inMemory == 0 && files == n {
				steady++
			} else {
				steady = 0
			}
			n = files
		}
		return n
	}

	t.Run("deferred", func(t *testing.T) {
		bi, s := build(t, deferredMerges(), nil)
		if n := segments(s); n != batches {
			t.Errorf("%d segments after %d batches: bleve merged them", n, batches)
		}
		if err := mergeSegments(context.Background(), bi, false, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		if n := segments(s); n != 1 {
			t.Errorf("%d segments after mergeSegments", n)
		}
	})
	t.Run("early", func(t *testing.T) {
		var early *earlyMerge
		bi, s := build(t, deferredMerges(), func(bi bleve.Index, i int) {
			if i == 0 {
				// Each batch's text counts one.
				early = startEarlyMerge(context.Background(), bi, nil)
				early.threshold = batches / 2
			}
			half := i == batches/2-1
			if half {
				// The first half's segments on disk, as a large build's
				// are by then.
				adv, _ := bi.Advanced()
				segments(adv.(*scorch.Scorch))
			}
			early.indexed(1)
			if half {
				<-early.merged // before the second half comes
			}
		})
		if !early.wait() {
			t.Fatal("no early merge")
		}
		if err := mergeSegments(context.Background(), bi, true, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		if n := segments(s); n != 2 {
			t.Errorf("%d segments after an early merge and mergeSegments, want 2", n)
		}
		if largest := largestSegment(s); largest != batches/2 {
			t.Errorf("the largest segment holds %d documents, want the first half's %d", largest, batches/2)
		}
		if n, err := bi.DocCount(); err != nil || n != batches {
			t.Errorf("%d documents (%v), want %d", n, err, batches)
		}
	})
	t.Run("update", func(t *testing.T) {
		_, s := build(t, mergePlanConfig(mergeplan.DefaultMergePlanOptions), nil)
		if n := segments(s); n >= batches {
			t.Errorf("%d segments after %d batches: bleve merged none", n, batches)
		}
	})
}
