package pipeline

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"archive/internal/atomicfile"
	"archive/internal/content"
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
//
// A start whose files differ from every cached state's (a redeploy that
// adds, changes or removes a few files) loads the content, but from the
// most recent state of the same program (previous): the Markdown files
// whose name, size and time are the same are not parsed again (content's
// Options.Previous), the pages whose inputs are the same are taken over
// from its pages file (site.Rebuild), and only the documents that changed
// are indexed again, in a copy of its search index (search.Index.Update).
// The State it ends with is saved as any other, and the previous one
// removed.

// stateCache is the cached state for one start.
type stateCache struct {
	p   *Pipeline
	dir string // "" when the cache is off
	// program says what made a state besides its files (the program's
	// version, Tesseract's), kept in it so that only a state of the same
	// program is taken as the previous one.
	program string
}

const (
	// stateValidUntil holds the content's NextChange, when it has one.
	stateValidUntil = "valid-until"
	stateProgram    = "program"
	stateParsed     = "parsed.gob" // what loading parsed of each file (content.Site.EncodeParsed)
)

func (p *Pipeline) stateCache() stateCache {
	c := stateCache{p: p}
	if !p.cfg.KeepState || p.cfg.Version == "" || p.cfg.CacheDir == "" || p.cfg.Incremental || p.cfg.SkipIndex {
		return c
	}
	c.program = fmt.Sprintf("program %s\n", p.cfg.Version)
	if e := p.cfg.PDF; e != nil && !e.OCR.Off {
		// Installing Tesseract, or a language for it, reads scans anew.
		tess, err := e.Tesseract()
		c.program += fmt.Sprintf("tesseract %s %q %v\n", tess.Version, tess.Languages, err == nil)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s%s\n", c.program, p.fingerprint())
	c.dir = filepath.Join(p.cfg.CacheDir, "state", "state-"+hex.EncodeToString(h.Sum(nil))[:24])
	return c
}

// expired reports whether the state in dir was made before a publishDate
// or expiryDate that has come since.
func expired(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, stateValidUntil))
	if err != nil {
		return false
	}
	until, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	return err != nil || !time.Now().Before(until)
}

// previous opens the most recent cached state of the same program, for a
// load to start from, without publishing it: it serves the content as it
// was, which a redeploy has changed. It returns once the state's content
// is decoded, for the load (Options.Previous), and opens its pages and
// index meanwhile. nil when there is none usable.
func (c stateCache) previous() *pendingState {
	if c.dir == "" {
		return nil
	}
	root := filepath.Dir(c.dir)
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var newest string
	var newestTime time.Time
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		if !strings.HasPrefix(e.Name(), "state-") || !atomicfile.Complete(dir) {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(dir, stateProgram)); err != nil || string(b) != c.program {
			continue
		}
		if info, err := os.Stat(filepath.Join(dir, atomicfile.Marker)); err == nil && info.ModTime().After(newestTime) {
			newest, newestTime = dir, info.ModTime()
		}
	}
	if newest == "" {
		return nil
	}
	cs, err := c.p.decodeContent(newest)
	if err == nil {
		err = readParsed(newest, cs)
	}
	if err != nil {
		c.p.log.Warn("previous cached state unusable; loading the content anew", "dir", newest, "error", err)
		return nil
	}
	c.p.log.Info("loading the content from the previous cached state: only what changed is parsed, rendered and indexed", "dir", newest)
	ps := &pendingState{content: cs, done: make(chan struct{})}
	go func() {
		defer close(ps.done)
		ps.st, ps.err = c.p.openContent(newest, cs, nil, true, time.Now())
	}()
	return ps
}

// pendingState is a previous state whose pages and index are opening.
type pendingState struct {
	content *content.Site
	done    chan struct{}
	st      *State
	err     error
	taken   bool
}

// wait returns the opened state; its index is then the caller's to close.
func (ps *pendingState) wait() (*State, error) {
	<-ps.done
	ps.taken = ps.err == nil
	return ps.st, ps.err
}

// discard closes the index of a state that wait did not hand over, once
// it is open.
func (ps *pendingState) discard() {
	if ps == nil || ps.taken {
		return
	}
	go func() {
		<-ps.done
		if ps.st != nil && ps.st.Index != nil {
			ps.st.Index.Close()
		}
	}()
}

func readParsed(dir string, cs *content.Site) error {
	f, err := os.Open(filepath.Join(dir, stateParsed))
	if err != nil {
		return err
	}
	defer f.Close()
	return cs.DecodeParsed(bufio.NewReaderSize(f, 1<<20))
}

// load opens the cached state if there is a usable one. An unusable one is
// removed.
func (c stateCache) load(publish func(*State)) (*State, bool) {
	if c.dir == "" || !atomicfile.Complete(c.dir) {
		return nil, false
	}
	if expired(c.dir) {
		// Kept: it is still the state a load starts from (previous), and
		// the state that load saves replaces it.
		return nil, false
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
	if expired(c.dir) {
		// Made from the same files, but before a publishDate or expiryDate
		// came: WriteDir would keep it rather than the new one.
		os.RemoveAll(c.dir)
	}
	err := atomicfile.WriteDir(c.dir, func(tmp string) error {
		if err := Save(st, tmp); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, stateProgram), []byte(c.program), 0o644); err != nil {
			return err
		}
		name := filepath.Join(tmp, stateParsed)
		if err := atomicfile.Write(name, func(w *bufio.Writer) error { return st.Site.Content.EncodeParsed(w) }); err != nil {
			return fmt.Errorf("save %s: %w", name, err)
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
	if index := st.Index.Stats().Dir; index != "" {
		// An update made a copy of the previous state's index, which no
		// state names any more.
		removeOtherIndexes(index)
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

// removeOtherIndexes removes the search indexes beside keep, in the cache
// folder's search folder, as search.Build does when it builds one.
func removeOtherIndexes(keep string) {
	root := filepath.Dir(keep)
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		if p := filepath.Join(root, e.Name()); p != keep && e.IsDir() && strings.HasPrefix(e.Name(), "index-") {
			os.RemoveAll(p)
		}
	}
}
