package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"archive/internal/atomicfile"
)

// A pipeline with KeepState keeps what it computed in the cache folder as a
// state folder, the same a build has, and the next start of the same
// program on the same files opens it at once instead of parsing, rendering
// and indexing again. Having saved it, the pipeline also switches to it:
// its pages then live in a mapped file rather than on the heap, which holds
// several times less afterwards.
//
// The state is named by the program version and the names, sizes and
// modification times of every file it was made from, as rsync and make
// tell a changed file; reading every byte of a large archive's PDFs to hash
// them would take longer than the rest of the start. What is published
// also depends on the time, so a state made before a publishDate or
// expiryDate that has since come is not used.

// stateCache is the cached state for one start.
type stateCache struct {
	p   *Pipeline
	dir string // "" when the cache is off
}

// stateValidUntil holds the content's NextChange, when it has one.
const stateValidUntil = "valid-until"

func (p *Pipeline) stateCache() stateCache {
	c := stateCache{p: p}
	if !p.cfg.KeepState || p.cfg.Version == "" || p.cfg.CacheDir == "" || p.cfg.Incremental || p.cfg.SkipIndex {
		return c
	}
	h := sha256.New()
	fmt.Fprintf(h, "program %s\n%s\n", p.cfg.Version, p.fingerprint())
	if e := p.cfg.PDF; e != nil && !e.OCR.Off {
		// Installing Tesseract, or a language for it, reads scans anew.
		tess, err := e.Tesseract()
		fmt.Fprintf(h, "tesseract %s %q %v\n", tess.Version, tess.Languages, err == nil)
	}
	c.dir = filepath.Join(p.cfg.CacheDir, "state", "state-"+hex.EncodeToString(h.Sum(nil))[:24])
	return c
}

// load opens the cached state if there is a usable one. An unusable one is
// removed.
func (c stateCache) load(publish func(*State)) (*State, bool) {
	if c.dir == "" || !atomicfile.Complete(c.dir) {
		return nil, false
	}
	if b, err := os.ReadFile(filepath.Join(c.dir, stateValidUntil)); err == nil {
		if until, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b))); err != nil || !time.Now().Before(until) {
			os.RemoveAll(c.dir)
			return nil, false
		}
	}
	st, err := c.p.open(c.dir, publish, false)
	if err != nil {
		c.p.log.Warn("cached state unusable; loading the content", "dir", c.dir, "error", err)
		os.RemoveAll(c.dir)
		return nil, false
	}
	c.p.log.Info("started from the cached state (content warnings were logged when it was made; archive check lists them)", "dir", c.dir)
	return st, true
}

// save writes st into the cache, removes the states of other files, and
// opens the saved state, publishing it in place of st, whose memory is
// then freed. Failing to is not a failure of the start: the next start
// loads the content again.
func (c stateCache) save(st *State, publish func(*State)) (*State, bool) {
	if c.dir == "" {
		return nil, false
	}
	start := time.Now()
	err := atomicfile.WriteDir(c.dir, func(tmp string) error {
		if err := Save(st, tmp); err != nil {
			return err
		}
		if next := st.Site.Content.NextChange; !next.IsZero() {
			return os.WriteFile(filepath.Join(tmp, stateValidUntil), []byte(next.UTC().Format(time.RFC3339Nano)+"\n"), 0o644)
		}
		return nil
	})
	if err != nil {
		c.p.log.Warn("cannot cache the state", "dir", c.dir, "error", err)
		return nil, false
	}
	root := filepath.Dir(c.dir)
	if entries, err := os.ReadDir(root); err == nil {
		for _, e := range entries {
			if p := filepath.Join(root, e.Name()); p != c.dir && strings.HasPrefix(e.Name(), "state-") {
				os.RemoveAll(p)
			}
		}
	}
	saved, err := c.p.open(c.dir, publish, true)
	if err != nil {
		c.p.log.Warn("cannot serve the cached state; serving what was loaded", "dir", c.dir, "error", err)
		return nil, false
	}
	freeMemory()
	c.p.log.Info("state cached", "dir", c.dir, "took", time.Since(start).Round(time.Millisecond))
	return saved, true
}
