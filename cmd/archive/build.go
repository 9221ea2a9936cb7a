package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"archive/internal/atomicfile"
	"archive/internal/content"
	"archive/internal/export"
	"archive/internal/pipeline"
)

// A build is a folder holding everything a server needs that can be
// computed ahead, so that servers start fast and any number can serve it:
//
//	manifest.json  what was built, from what, by which program
//	content/       the publications as they were built, served as attachments
//	cache/         extracted PDF text and the search index
//	state/         the rendered pages, the content's metadata and the search
//	               index's tables (see pipeline.Save)
//
// A server of a build parses, renders, extracts and indexes nothing: it
// maps the pages file into memory and opens the index read-only.
const (
	manifestFile = "manifest.json"
	stateDir     = "state"
)

// manifest describes a build.
type manifest struct {
	ContentHash  string    `json:"content_hash"`
	Version      string    `json:"program_version"`
	Built        time.Time `json:"built"`
	Publications int       `json:"publications"`
	Pages        int       `json:"pages"`
	Files        int       `json:"files"`
	// NextChange is when a publishDate or expiryDate next changes what the
	// content publishes: a build keeps serving what it was built with, so
	// it must be built again then.
	NextChange time.Time `json:"next_change,omitzero"`
}

// programVersion names the program that made a build: a build is only served
// by the same program, since caches and templates are its own. Without a
// version control stamp it hashes the binary, so it is worked out once.
var programVersion = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		// No version control stamp (a build outside the repository): the
		// binary's own hash names it.
		return executableHash()
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
})

func executableHash() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	f, err := os.Open(exe)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown"
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
}

func build(args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("build", flag.ContinueOnError)
	fl.SetOutput(stderr)
	contentDir := fl.String("content", "content", "content folder")
	out := fl.String("o", "", "folder to write the build into (must not exist)")
	shared := fl.String("cache", "", "folder that keeps extracted PDF text from one build to the next (default: none, every build reads every PDF)")
	memLimit := memoryLimitFlag(fl)
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if _, _, err := applyMemoryLimit(fl, *memLimit); err != nil {
		fmt.Fprintln(stderr, "archive build:", err)
		return 2
	}
	if *out == "" {
		fmt.Fprintln(stderr, "archive build: -o DIR is required")
		return 2
	}
	log := newLogger()
	if _, err := os.Stat(*out); err == nil {
		fmt.Fprintf(stderr, "archive build: %s exists; builds are never overwritten, choose a new folder\n", *out)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	// A failed build never leaves a folder that looks complete: it is
	// written whole or not at all (atomicfile.WriteDir).
	var m manifest
	err := atomicfile.WriteDir(*out, func(tmp string) error {
		// The search index goes into the build, which points to it; PDF
		// text is not needed to serve and may come from a cache shared by
		// builds.
		cache := filepath.Join(tmp, "cache")
		pdfCache := cache
		if *shared != "" {
			pdfCache = *shared
		}
		st, err := loadSite(ctx, *contentDir, cache, pdfCache, log)
		if err != nil {
			return err
		}
		// Only what the site publishes goes into the build: a draft's
		// files, notes for staff and the Markdown itself stay behind.
		if err := copyPublic(st.Site.Content, filepath.Join(tmp, "content")); err != nil {
			return err
		}
		if err := pipeline.Save(st, filepath.Join(tmp, stateDir)); err != nil {
			return err
		}
		m = newManifest(st)
		b, _ := json.MarshalIndent(m, "", "  ")
		return os.WriteFile(filepath.Join(tmp, manifestFile), append(b, '\n'), 0o644)
	})
	if err != nil {
		printLoadError(stderr, err)
		return 1
	}
	log.Info("build written", "dir", *out, "publications", m.Publications, "pages", m.Pages, "files", m.Files)
	return 0
}

func newManifest(st *pipeline.State) manifest {
	site := st.Site
	return manifest{
		ContentHash:  site.Content.Hash,
		Version:      programVersion(),
		Built:        time.Now().UTC().Truncate(time.Second),
		Publications: len(site.Content.Publications),
		Pages:        len(site.Pages),
		Files:        len(site.Content.Files),
		NextChange:   site.Content.NextChange,
	}
}

// readBuild checks that dir is a complete build made by this program.
func readBuild(dir string) (manifest, error) {
	var m manifest
	b, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return m, fmt.Errorf("%s is not a build (made by archive build): %w", dir, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", filepath.Join(dir, manifestFile), err)
	}
	if v := programVersion(); m.Version != v {
		return m, fmt.Errorf("%s was built by program version %s, this is %s: build it again with this program", dir, m.Version, v)
	}
	return m, nil
}

func exportSite(args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("export", flag.ContinueOnError)
	fl.SetOutput(stderr)
	contentDir := fl.String("content", "", "content folder (default: ./content, or the content built into the binary)")
	out := fl.String("o", "", "folder to write the static site into (must be new or empty)")
	searchURL := fl.String("search-url", "", "where the mirror's search forms go, such as https://archive.example.org/search (default: the base URL's /search)")
	origin := fl.String("origin", "", "scheme and host of the mirror, for absolute URLs in feeds (default: the base URL)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *out == "" {
		fmt.Fprintln(stderr, "archive export: -o DIR is required")
		return 2
	}
	log := newLogger()
	dirs, err := openFolders(*contentDir)
	if err != nil {
		fmt.Fprintln(stderr, "archive export:", err)
		return 1
	}
	loaded, err := pipeline.New(pipeline.Config{
		Content: dirs.content, Templates: dirs.templates, Static: dirs.static, ContentDir: dirs.contentDir,
		PDF: newExtractor("", log), SkipIndex: true, Logger: log,
	}).Load(context.Background(), nil)
	if err != nil {
		printLoadError(stderr, err)
		return 1
	}
	su := *searchURL
	if su == "" {
		if base := loaded.Site.Content.Settings.BaseURL; base != "" {
			su = strings.TrimSuffix(base, "/") + "/search"
		} else {
			log.Warn("no -search-url and no base_url in site.toml: the mirror's search forms point to /search, which a static host does not have")
		}
	}
	st, err := export.Write(loaded.Site, *out, export.Options{SearchURL: su, Origin: *origin})
	if err != nil {
		fmt.Fprintln(stderr, "archive export:", err)
		return 1
	}
	log.Info("export written", "dir", *out, "pages", st.Pages, "files", st.Files, "bytes", st.Bytes)
	return 0
}

// loadSite loads the site in dir with its cache, as serve does, keeping PDF
// text in pdfCache.
func loadSite(ctx context.Context, dir, cache, pdfCache string, log *slog.Logger) (*pipeline.State, error) {
	dirs, err := openFolders(dir)
	if err != nil {
		return nil, err
	}
	return pipeline.New(pipeline.Config{
		Content: dirs.content, Templates: dirs.templates, Static: dirs.static, ContentDir: dirs.contentDir,
		CacheDir: cache, PDF: newExtractor(pdfCache, log), Logger: log,
	}).Load(ctx, nil)
}

func printLoadError(w io.Writer, err error) {
	var ce *pipeline.ContentError
	if errors.As(err, &ce) {
		for _, p := range ce.Problems.Errors() {
			fmt.Fprintln(w, p.String())
		}
		return
	}
	fmt.Fprintln(w, "error:", err)
}

// copyPublic copies the files the site serves into dst, checking that each
// is still the file that was loaded.
func copyPublic(cs *content.Site, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	sums := map[string]string{}
	for _, a := range cs.Attachments() {
		sums[a.Path] = a.SHA256
	}
	for name, size := range cs.Files {
		if err := copyChecked(cs.FS, name, filepath.Join(dst, filepath.FromSlash(name)), size, sums[name]); err != nil {
			return err
		}
	}
	return nil
}

func copyChecked(fsys fs.FS, name, dst string, size int64, sum string) error {
	src, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), src)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", name, err)
	}
	if n != size || (sum != "" && hex.EncodeToString(h.Sum(nil)) != sum) {
		return fmt.Errorf("%s changed while it was being built: build again", name)
	}
	return nil
}
