package pipeline

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

// A state folder holds what a load computed, so that another process can
// serve it without computing it again:
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

// Save writes st into dir, which must be new or empty. The search index
// must be on disk (Config.CacheDir set), since the state folder points to
// it rather than copying it.
func Save(st *State, dir string) error {
	if st == nil || st.Index == nil {
		return errors.New("save: nothing loaded yet")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	name := filepath.Join(dir, stateContent)
	if err := atomicfile.Write(name, func(w *bufio.Writer) error { return st.Site.Content.Encode(w) }); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	for _, sub := range []string{statePages, stateSearch} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("save: %w", err)
		}
	}
	if err := st.Site.SavePages(filepath.Join(dir, statePages)); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	if err := st.Index.Save(filepath.Join(dir, stateSearch)); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

// Open serves the state folder dir (a build's, or the cache's): it decodes
// the metadata, maps the pages and opens the index read-only, computing
// nothing. Files are served from Config.Content, which must be the content
// the state was made from. It publishes the pages as soon as they are open
// (unless a State with an index is already served, as when the cache swaps
// a loaded State for its saved copy) and then the whole State.
func (p *Pipeline) Open(dir string, publish func(*State)) (*State, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if publish == nil {
		publish = func(*State) {}
	}
	st, err := p.open(dir, publish, p.last != nil && p.last.Index != nil)
	if err == nil {
		p.last = st
	}
	return st, err
}

// open opens the state folder dir. publish nil opens it without serving
// it (a previous state a load starts from).
func (p *Pipeline) open(dir string, publish func(*State), serving bool) (*State, error) {
	start := time.Now()
	cs, err := p.decodeContent(dir)
	if err != nil {
		return nil, err
	}
	return p.openContent(dir, cs, publish, serving, start)
}

// decodeContent decodes the content metadata of the state folder dir.
func (p *Pipeline) decodeContent(dir string) (*content.Site, error) {
	f, err := os.Open(filepath.Join(dir, stateContent))
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	defer f.Close()
	cs, err := content.Decode(bufio.NewReaderSize(f, 1<<20), p.cfg.Content)
	if err != nil {
		return nil, fmt.Errorf("load state %s: %w", f.Name(), err)
	}
	return cs, nil
}

// openContent is open once cs, the state's content, is decoded.
func (p *Pipeline) openContent(dir string, cs *content.Site, publish func(*State), serving bool, start time.Time) (*State, error) {
	ready := "ready"
	if publish == nil {
		publish, ready = func(*State) {}, "previous state opened"
	}
	tmpl, assets, err := p.layout()
	if err != nil {
		return nil, err
	}
	// The pages and the index are read side by side: each is a table to
	// decode, and the pages come first to readers.
	var idx *search.Index
	var idxErr error
	idxDone := make(chan struct{})
	go func() {
		defer close(idxDone)
		if !p.cfg.SkipIndex {
			idx, idxErr = search.Open(filepath.Join(dir, stateSearch), cs, search.Options{Logger: p.log})
		}
	}()
	pages, err := site.OpenPages(filepath.Join(dir, statePages), cs, tmpl, assets)
	if err != nil {
		<-idxDone
		if idx != nil {
			idx.Close()
		}
		return nil, fmt.Errorf("load state: %w", err)
	}
	tm := Timings{Source: "state", Render: time.Since(start)}
	st := &State{Site: pages, Timings: tm}
	if !serving {
		publish(st)
	}
	p.log.Info("pages opened", "publications", len(cs.Publications), "pages", len(pages.Pages), "took", time.Since(start).Round(time.Millisecond))
	<-idxDone
	if idxErr != nil {
		return nil, fmt.Errorf("load state: %w", idxErr)
	}
	tm.Total = time.Since(start)
	tm.Index = tm.Total // opened beside the pages
	if idx != nil {
		st = &State{Site: pages, Index: idx, Timings: tm}
		publish(st)
	}
	p.log.Info(ready, "total", tm.Total.Round(time.Millisecond))
	return st, nil
}
