package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A server with a cache folder keeps what it computed there as a state
// folder, the same a build has, and the next start of the same program on
// the same files serves it at once instead of parsing, rendering and
// indexing again. Having saved it, the server also switches to it: its
// pages then live in a mapped file rather than on the heap, which holds
// several times less afterwards.
//
// The state is named by the program version and the names, sizes and
// modification times of every file it was made from, as rsync and make
// tell a changed file; reading every byte of a large archive's PDFs to hash
// them would take longer than the rest of the start.

// stateCache is the cached state for one start.
type stateCache struct {
	s   *Server
	dir string // "" when the cache is off
}

const (
	stateComplete   = "complete"
	stateValidUntil = "valid-until" // the content's NextChange, when it has one
)

func (s *Server) stateCache() stateCache {
	c := stateCache{s: s}
	if !s.cfg.KeepState || s.cfg.Version == "" || s.cfg.CacheDir == "" || s.watch != nil || s.cfg.SkipIndex {
		return c
	}
	h := sha256.New()
	fmt.Fprintf(h, "program %s\nallow_html %t\n%s\n", s.cfg.Version, s.cfg.AllowHTML, s.fingerprint())
	c.dir = filepath.Join(s.cfg.CacheDir, "state", "state-"+hex.EncodeToString(h.Sum(nil))[:24])
	return c
}

// load serves the cached state if there is a complete one, and reports
// whether it did. An unusable one is removed.
func (c stateCache) load() bool {
	if c.dir == "" {
		return false
	}
	if _, err := os.Stat(filepath.Join(c.dir, stateComplete)); err != nil {
		return false
	}
	// What is published also depends on the time: a state made before a
	// publishDate or expiryDate that has since passed is out of date.
	if b, err := os.ReadFile(filepath.Join(c.dir, stateValidUntil)); err == nil {
		if until, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b))); err != nil || !time.Now().Before(until) {
			os.RemoveAll(c.dir)
			return false
		}
	}
	if err := c.s.loadState(c.dir); err != nil {
		c.s.log.Warn("cached state unusable; loading the content", "dir", c.dir, "error", err)
		os.RemoveAll(c.dir)
		return false
	}
	c.s.log.Info("started from the cached state (content warnings were logged when it was made; archive check lists them)", "dir", c.dir)
	return true
}

// save writes the state being served into the cache, removes the states of
// other files, and serves the saved state, freeing the memory of the one
// loaded. It reports whether it did. Failing to is not a failure of the
// start: the next start loads the content again.
func (c stateCache) save() bool {
	if c.dir == "" {
		return false
	}
	start := time.Now()
	// Servers sharing a cache may save the same state at once: each
	// writes its own folder, and the first to finish puts it in place.
	tmp := filepath.Join(filepath.Dir(c.dir), fmt.Sprintf("tmp-%s-%d", filepath.Base(c.dir), os.Getpid()))
	os.RemoveAll(tmp)
	err := os.MkdirAll(filepath.Dir(c.dir), 0o755)
	if err == nil {
		err = c.s.Save(tmp)
	}
	if next := c.s.Site().Content.NextChange; err == nil && !next.IsZero() {
		err = os.WriteFile(filepath.Join(tmp, stateValidUntil), []byte(next.UTC().Format(time.RFC3339Nano)+"\n"), 0o644)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(tmp, stateComplete), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644)
	}
	if _, done := os.Stat(filepath.Join(c.dir, stateComplete)); err == nil && done != nil {
		os.RemoveAll(c.dir) // an unfinished one
		err = os.Rename(tmp, c.dir)
	}
	os.RemoveAll(tmp)
	if err != nil {
		c.s.log.Warn("cannot cache the state", "dir", c.dir, "error", err)
		return false
	}
	root := filepath.Dir(c.dir)
	if entries, err := os.ReadDir(root); err == nil {
		for _, e := range entries {
			if p := filepath.Join(root, e.Name()); p != c.dir && strings.HasPrefix(e.Name(), "state-") {
				os.RemoveAll(p)
			}
		}
	}
	if err := c.s.loadState(c.dir); err != nil {
		c.s.log.Warn("cannot serve the cached state; serving what was loaded", "dir", c.dir, "error", err)
		return false
	}
	freeMemory()
	c.s.log.Info("state cached", "dir", c.dir, "took", time.Since(start).Round(time.Millisecond))
	return true
}
