package server

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"archive/internal/atomicfile"
	"archive/internal/content"
	"archive/internal/search"
	"archive/internal/site"
)

// A state folder holds what a loaded server computed, so that another
// server can serve it without computing it again (see Config.Build):
//
//	content.gob  the content's metadata (content.Site.Encode)
//	pages/       every rendered page (site.Site.SavePages)
//	search/      the search index's tables and text (search.Index.Save),
//	             which point to the index folder itself
const (
	stateContent = "content.gob"
	statePages   = "pages"
	stateSearch  = "search"
)

// Save writes the state being served into dir, which must not exist yet.
// The search index must be on disk (Config.CacheDir set), since the state
// folder points to it rather than copying it.
func (s *Server) Save(dir string) error {
	st := s.state.Load()
	if st == nil || st.index == nil {
		return errors.New("save: nothing loaded yet")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	name := filepath.Join(dir, stateContent)
	if err := atomicfile.Write(name, func(w *bufio.Writer) error { return st.site.Content.Encode(w) }); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	for _, sub := range []string{statePages, stateSearch} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("save: %w", err)
		}
	}
	if err := st.site.SavePages(filepath.Join(dir, statePages)); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	if err := st.index.Save(filepath.Join(dir, stateSearch)); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

// loadState serves the state folder dir.
func (s *Server) loadState(dir string) error {
	start := time.Now()
	f, err := os.Open(filepath.Join(dir, stateContent))
	if err != nil {
		return fmt.Errorf("load state: %w", err)
	}
	cs, err := content.Decode(bufio.NewReaderSize(f, 1<<20), s.cfg.Content)
	f.Close()
	if err != nil {
		return fmt.Errorf("load state %s: %w", f.Name(), err)
	}
	tmpl, assets, err := s.layout()
	if err != nil {
		return err
	}
	// The pages and the index are read side by side: each is a table to
	// decode, and the pages come first to readers.
	var idx *search.Index
	var idxErr error
	idxDone := make(chan struct{})
	go func() {
		defer close(idxDone)
		if !s.cfg.SkipIndex {
			idx, idxErr = search.Open(filepath.Join(dir, stateSearch), cs, search.Options{Logger: s.log})
		}
	}()
	pages, err := site.OpenPages(filepath.Join(dir, statePages), cs, tmpl, assets)
	if err != nil {
		<-idxDone
		if idx != nil {
			idx.Close()
		}
		return fmt.Errorf("load state: %w", err)
	}
	// A server already serving (see stateCache.save) keeps doing so until
	// the new state is whole; a starting one serves pages at once.
	if cur := s.state.Load(); cur == nil || cur.index == nil {
		s.publish(&state{site: pages})
	}
	s.log.Info("pages opened", "publications", len(cs.Publications), "pages", len(pages.Pages), "took", time.Since(start).Round(time.Millisecond))
	<-idxDone
	if idxErr != nil {
		return fmt.Errorf("load state: %w", idxErr)
	}
	if idx != nil {
		s.publish(&state{site: pages, index: idx})
	}
	s.log.Info("ready", "total", time.Since(start).Round(time.Millisecond))
	return nil
}
