package pdftext

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"archive/internal/atomicfile"
)

// cacheVersion is part of every cache file name: bump it when extraction
// changes, so that a restart re-extracts instead of serving old text.
// Version 2: pages say whether they are scans (Page.Scan); 3: documents
// carry their creation date (Document.Created).
const cacheVersion = "3"

// maxLine bounds one JSON line from a child; a page's text is far smaller.
const maxLine = 256 << 20

// Extractor runs extraction in child processes with limits, caching by
// SHA-256 of the file. Its zero value is ready to use; set fields before the
// first call and do not change them after.
type Extractor struct {
	Command     []string      // argv that runs `archive pdftext` (child flags are added); default: os.Executable() + "pdftext"
	Timeout     time.Duration // per file (default 60s)
	MemoryLimit uint64        // bytes of memory per child beyond what the runtime reserves (default 1 GiB)
	Parallel    int           // concurrent children (default runtime.NumCPU())
	CacheDir    string        // "" means no cache
	Logger      *slog.Logger  // may be nil
	// OCR says how scanned pages are read (see ocr.go); its zero value
	// reads them with the tesseract on PATH.
	OCR OCRConfig

	once sync.Once
	sem  chan struct{}

	tessOnce sync.Once
	tess     TesseractInfo
	tessErr  error
}

// Result is the outcome of extracting one file.
type Result struct {
	Doc *Document
	Err error
	// Child is how long the child process took, 0 when the text came from
	// the cache.
	Child time.Duration
	// OCRPages were read by Tesseract (not from the cache), in OCR time
	// (images and Tesseract, as the wall clock saw it).
	OCRPages int
	OCR      time.Duration
}

func (e *Extractor) init() {
	e.once.Do(func() {
		n := e.Parallel
		if n <= 0 {
			n = runtime.NumCPU()
		}
		e.sem = make(chan struct{}, n)
	})
}

func (e *Extractor) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (e *Extractor) timeout() time.Duration {
	if e.Timeout > 0 {
		return e.Timeout
	}
	return defaultTimeout
}

func (e *Extractor) memoryLimit() uint64 {
	if e.MemoryLimit > 0 {
		return e.MemoryLimit
	}
	return defaultMemoryLimit
}

// ExtractFile extracts one file in a child process, reading scanned pages
// by OCR in English. Errors read "path: reason". When the child fails after
// reading some pages (time or memory limit), the Document is returned as
// well as the error, with the pages read before the fault and the others
// marked with the reason.
func (e *Extractor) ExtractFile(ctx context.Context, path string) (*Document, error) {
	return e.ExtractFileLang(ctx, path, "")
}

// ExtractFileLang is ExtractFile for a file in language lang, a BCP 47 tag
// such as "zh-Hant" (the publication's lang), which chooses the OCR
// languages (see [TesseractLanguage]); "" means the site default.
func (e *Extractor) ExtractFileLang(ctx context.Context, path, lang string) (*Document, error) {
	r := e.extract(ctx, path, lang)
	return r.Doc, r.Err
}

// extract is ExtractFileLang, also telling how long the children took.
func (e *Extractor) extract(ctx context.Context, path, lang string) Result {
	e.init()
	sum, err := fileSHA256(path)
	if err != nil {
		return Result{Err: fmt.Errorf("%s: %w", path, unwrapPath(err))}
	}
	r := e.extractText(ctx, path, sum)
	if r.Doc != nil && ctx.Err() == nil {
		r.OCRPages, r.OCR = e.ocrDocument(ctx, path, sum, lang, r.Doc)
	}
	return r
}

// extractText reads the text layer, from the cache or in a child.
func (e *Extractor) extractText(ctx context.Context, path, sum string) Result {
	if doc, reason, ok := e.cached(sum); ok {
		if reason != "" {
			return Result{Doc: doc, Err: fmt.Errorf("%s: %s", path, reason)}
		}
		return Result{Doc: doc}
	}

	if err := e.acquire(ctx); err != nil {
		return Result{Err: fmt.Errorf("%s: %w", path, err)}
	}
	start := time.Now()
	doc, reason, rss := e.run(ctx, path)
	e.release()
	child := time.Since(start)

	log := e.logger()
	if ctx.Err() != nil {
		// The caller gave up; the file may be fine, so nothing is cached.
		return Result{Doc: doc, Child: child, Err: fmt.Errorf("%s: %w", path, ctx.Err())}
	}
	e.store(sum, doc, reason)
	if reason != "" {
		log.Warn("pdf text extraction failed", "path", path, "reason", reason, "elapsed", time.Since(start), "max_rss_mib", rss>>20)
		return Result{Doc: doc, Child: child, Err: fmt.Errorf("%s: %s", path, reason)}
	}
	log.Info("pdf text extracted", "path", path, "pages", doc.NumPages(), "elapsed", time.Since(start), "max_rss_mib", rss>>20)
	return Result{Doc: doc, Child: child}
}

// acquire takes one of the Parallel slots for a child process.
func (e *Extractor) acquire(ctx context.Context) error {
	select {
	case e.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Extractor) release() { <-e.sem }

// ExtractFiles extracts many files concurrently (bounded by Parallel),
// calling progress (if not nil) after each. Scanned pages are read by OCR
// in the site default languages.
func (e *Extractor) ExtractFiles(ctx context.Context, paths []string, progress func(done, total int)) map[string]Result {
	files := make(map[string]string, len(paths))
	for _, p := range paths {
		files[p] = ""
	}
	return e.ExtractFilesLang(ctx, files, progress)
}

// ExtractFilesLang is ExtractFiles for files given with their language
// (path -> BCP 47 tag, "" for the site default), as in ExtractFileLang.
func (e *Extractor) ExtractFilesLang(ctx context.Context, files map[string]string, progress func(done, total int)) map[string]Result {
	e.init()
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		out  = make(map[string]Result, len(paths))
		done int
		next = make(chan string)
	)
	// As many workers as children may run: a goroutine per file would hash
	// thousands of files at once and run out of file descriptors.
	for range min(cap(e.sem), len(paths)) {
		wg.Go(func() {
			for p := range next {
				r := e.extract(ctx, p, files[p])
				mu.Lock()
				out[p] = r
				done++
				if progress != nil {
					progress(done, len(paths))
				}
				mu.Unlock()
			}
		})
	}
	for _, p := range paths {
		next <- p
	}
	close(next)
	wg.Wait()
	return out
}

// argv is the command that runs `archive pdftext`.
func (e *Extractor) argv() ([]string, error) {
	if len(e.Command) > 0 {
		return e.Command[:len(e.Command):len(e.Command)], nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return []string{exe, "pdftext"}, nil
}

// command is the child that reads path, with flags (before the path) for
// what to read.
func (e *Extractor) command(path string, flags ...string) (*exec.Cmd, error) {
	argv, err := e.argv()
	if err != nil {
		return nil, err
	}
	args := append(argv[1:], childFlag, "-mem", strconv.FormatUint(e.memoryLimit(), 10))
	args = append(append(args, flags...), "--", path)
	return exec.Command(argv[0], args...), nil
}

// run starts the text child and reads its stream. reason is "" on success;
// rss is the child's peak resident memory in bytes, where the system
// reports it.
func (e *Extractor) run(ctx context.Context, path string) (doc *Document, reason string, rss int64) {
	var want int
	reason, rss = e.runChild(ctx, path, nil, func(m message) {
		switch {
		case m.Info != nil:
			doc = &Document{Title: m.Info.Title, Author: m.Info.Author, Created: m.Info.Created}
			want = m.Info.Pages
		case m.Page != nil && doc != nil:
			doc.Pages = append(doc.Pages, *m.Page)
		}
	})
	if reason != "" && doc != nil {
		// Keep what was read; mark what was not.
		for n := len(doc.Pages) + 1; n <= want; n++ {
			doc.Pages = append(doc.Pages, Page{Number: n, Err: "not read: " + reason})
		}
	}
	return doc, reason, rss
}

// runChild runs a child on path with flags, under the time limit, and
// hands each message but errors and the end to handle. reason is "" when
// the child said it was done.
func (e *Extractor) runChild(ctx context.Context, path string, flags []string, handle func(message)) (reason string, rss int64) {
	cmd, err := e.command(path, flags...)
	if err != nil {
		return fmt.Sprintf("starting extraction: %v", err), 0
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Sprintf("starting extraction: %v", err), 0
	}
	var stderr tailBuffer
	cmd.Stderr = &stderr
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Sprintf("starting extraction: %v", err), 0
	}

	// The child is killed at the time limit or when the caller gives up;
	// closing its stdout then ends the read loop below.
	timedOut := make(chan struct{})
	kill := func() {
		killGroup(cmd)
		stdout.Close()
	}
	timer := time.AfterFunc(e.timeout(), func() {
		close(timedOut)
		kill()
	})
	stop := context.AfterFunc(ctx, kill)

	var (
		childErr string
		done     bool
	)
	r := bufio.NewReaderSize(io.LimitReader(stdout, maxLine*4), 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			var m message
			if json.Unmarshal(line, &m) != nil {
				childErr = "extraction sent unreadable output"
				break
			}
			switch {
			case m.Error != "":
				childErr = m.Error
			case m.Done:
				done = true
			default:
				handle(m)
			}
		}
		if err != nil {
			break
		}
	}
	io.Copy(io.Discard, stdout)
	waitErr := cmd.Wait()
	timer.Stop()
	stop()
	rss = peakRSS(cmd)

	select {
	case <-timedOut:
		return fmt.Sprintf("timed out after %v", e.timeout()), rss
	default:
	}
	switch {
	case done && waitErr == nil:
		return "", rss
	case childErr != "":
		return childErr, rss
	case ctx.Err() != nil:
		return ctx.Err().Error(), rss
	}
	return crashReason(waitErr, stderr.String(), e.memoryLimit()), rss
}

// crashReason explains a child that ended without saying why.
func crashReason(waitErr error, stderr string, limit uint64) string {
	if strings.Contains(stderr, "out of memory") || strings.Contains(stderr, "cannot allocate memory") {
		return fmt.Sprintf("out of memory (limit %d MiB)", limit>>20)
	}
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Sprintf("extraction killed by %v", ws.Signal())
		}
	}
	first, _, _ := strings.Cut(strings.TrimSpace(stderr), "\n")
	if first != "" {
		return "extraction crashed: " + first
	}
	if waitErr != nil {
		return "extraction failed: " + waitErr.Error()
	}
	return "extraction ended early"
}

// tailBuffer keeps the first kilobytes (max bytes, if set) a child writes
// to stderr: a Go crash puts its reason on the first line.
type tailBuffer struct {
	mu  sync.Mutex
	b   bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	limit := t.max
	if limit == 0 {
		limit = 8 << 10
	}
	if room := limit - t.b.Len(); room > 0 {
		t.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.b.String()
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// cacheEntry is what is stored per file: the text, or why there is none.
type cacheEntry struct {
	Doc *Document `json:"doc,omitempty"`
	Err string    `json:"err,omitempty"`
}

func (e *Extractor) cachePath(sum string) string {
	return filepath.Join(e.CacheDir, sum[:2], sum+".v"+cacheVersion+".json")
}

func (e *Extractor) cached(sum string) (*Document, string, bool) {
	var c cacheEntry
	if !e.readCache(e.cachePath(sum), &c) || (c.Doc == nil && c.Err == "") {
		return nil, "", false
	}
	return c.Doc, c.Err, true
}

func (e *Extractor) store(sum string, doc *Document, reason string) {
	e.writeCache(e.cachePath(sum), cacheEntry{Doc: doc, Err: reason})
}

// readCache reads the JSON cache file at path into v.
func (e *Extractor) readCache(path string, v any) bool {
	if e.CacheDir == "" {
		return false
	}
	data, err := os.ReadFile(path)
	return err == nil && json.Unmarshal(data, v) == nil
}

// writeCache writes v as JSON atomically, so a crash mid-write leaves no
// half file to be trusted on the next start.
func (e *Extractor) writeCache(path string, v any) {
	if e.CacheDir == "" {
		return
	}
	data, err := json.Marshal(v)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(path), 0o755)
	}
	if err == nil {
		err = atomicfile.Write(path, func(w *bufio.Writer) error {
			_, err := w.Write(data)
			return err
		})
	}
	if err != nil {
		e.logger().Warn("pdf text cache not written", "path", path, "err", err)
	}
}
