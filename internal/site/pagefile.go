package site

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"archive/internal/atomicfile"
	"archive/internal/mapped"
)

// A site of 10,000 publications renders about 340 MB of HTML and gzip.
// Held on the heap through the search index's build, which follows the
// rendering, they were a third of the start's live memory, and the garbage
// collector let the heap grow to twice that. BuildInto writes each page's
// bodies to a pages file as soon as the page is made and keeps only where
// they are; once all are written the file is mapped into memory, as
// OpenPages maps a build's, so the bodies cost the heap nothing and only the
// pages readers ask for are read back. SavePages then moves the file into
// the state folder rather than write it again.

// pageFile is the file BuildInto writes the pages into, in the format of
// pages.bin: its id, then the bodies, each page's gzip body after its body.
type pageFile struct {
	mu    sync.Mutex
	f     *os.File
	w     *bufio.Writer
	id    []byte
	off   int64
	spans map[*Page]span
	// named is whether the file still has its temporary name (SavePages
	// renames it once, and copies it after that).
	named bool
	err   error
}

// span is where a page's bodies are in the pages file.
type span struct {
	off              int64
	bodyLen, gzipLen int
}

// pageFilePattern names pages files being written; one a crashed process
// left behind is removed by the next BuildInto in its folder.
const pageFilePattern = "." + pagesBin + ".tmp-*"

func newPageFile(dir string) (*pageFile, error) {
	removeStalePageFiles(dir)
	f, err := os.CreateTemp(dir, pageFilePattern)
	if err != nil {
		return nil, fmt.Errorf("pages file: %w", err)
	}
	pf := &pageFile{f: f, w: bufio.NewWriterSize(f, 1<<20), id: make([]byte, 16), spans: map[*Page]span{}, named: true}
	rand.Read(pf.id)
	pf.w.Write(pf.id)
	pf.off = int64(len(pf.id))
	return pf, nil
}

// add writes p's bodies into the file and takes them off the heap until
// mapPages gives them back. It is safe for concurrent use.
func (pf *pageFile) add(p *Page) {
	pf.mu.Lock()
	defer pf.mu.Unlock()
	pf.spans[p] = span{pf.off, len(p.Body), len(p.Gzip)}
	pf.w.Write(p.Body)
	pf.w.Write(p.Gzip)
	pf.off += int64(len(p.Body) + len(p.Gzip))
	p.Body, p.Gzip = nil, nil
}

// mapPages finishes the file, maps it and points every page added at its
// bodies there. The mapping is never undone, as OpenPages's is not.
func (pf *pageFile) mapPages() error {
	// Write errors stick to the writer: Flush reports the first.
	if err := pf.w.Flush(); err != nil {
		return fmt.Errorf("pages file %s: %w", pf.f.Name(), err)
	}
	pf.w = nil
	data, err := mapped.Map(pf.f, int(pf.off))
	if err != nil {
		return fmt.Errorf("pages file %s: %w", pf.f.Name(), err)
	}
	for p, sp := range pf.spans {
		body := sp.off + int64(sp.bodyLen)
		end := body + int64(sp.gzipLen)
		// The slices end where the bodies do, so that appending to one
		// copies rather than write into the mapping.
		p.Body = data[sp.off:body:body]
		if sp.gzipLen > 0 {
			p.Gzip = data[body:end:end]
		}
	}
	return nil
}

// holds reports whether every page of s is in the file.
func (pf *pageFile) holds(s *Site) bool {
	if _, ok := pf.spans[s.NotFound]; !ok {
		return false
	}
	for _, p := range s.Pages {
		if _, ok := pf.spans[p]; !ok {
			return false
		}
	}
	return true
}

// discard removes the file of a build that failed.
func (pf *pageFile) discard() {
	pf.f.Close()
	os.Remove(pf.f.Name())
}

// saveTo puts the pages file at name: moved there, synced, the first time,
// and copied (within the kernel, not through the mapping, which would
// count every page in the process's memory) after that.
func (pf *pageFile) saveTo(name string) error {
	pf.mu.Lock()
	defer pf.mu.Unlock()
	if pf.named {
		err := pf.f.Chmod(0o644) // as atomicfile.Write leaves a file
		if err == nil {
			err = pf.f.Sync()
		}
		if err == nil {
			err = os.Rename(pf.f.Name(), name)
		}
		if err == nil {
			pf.named = false
			return atomicfile.SyncDir(filepath.Dir(name))
		}
		// Another file system, most likely: copy it.
	}
	return atomicfile.Write(name, func(w *bufio.Writer) error {
		_, err := w.ReadFrom(io.NewSectionReader(pf.f, 0, pf.off))
		return err
	})
}

// removeStalePageFiles deletes pages files a crashed process left in dir:
// those older than an hour, so that a build still writing its own in the
// same folder keeps it.
func removeStalePageFiles(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix, _, _ := strings.Cut(pageFilePattern, "*")
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > time.Hour {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
