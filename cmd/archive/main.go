// Command archive serves and checks the publication archive.
//
//	archive serve   [-content DIR | -from BUILD] [-addr HOST:PORT] [-cache DIR] [-watch]
//	archive check   [-content DIR]
//	archive build   [-content DIR] -o BUILD
//	archive export  [-content DIR] -o DIR [-search-url URL]
//	archive pdftext [-lang CODE] [-ocr=false] FILE...
//	archive import  wordpress [-uploads DIR] [-o DIR] [-section NAME] [-force] EXPORT.xml...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	contentfs "archive/content"
	"archive/internal/content"
	"archive/internal/pdftext"
	"archive/internal/pipeline"
	"archive/internal/server"
	staticfs "archive/static"
	templatesfs "archive/templates"
)

const usage = `usage:
  archive serve   [-content DIR | -from BUILD] [-addr HOST:PORT] [-cache DIR] [-watch]   serve the site
  archive check   [-content DIR] [-cache DIR]                  check the content, exit 1 on errors
  archive build   [-content DIR] -o BUILD                      compute everything a server needs, ahead
  archive export  [-content DIR] -o DIR [-search-url URL]      write the site as static files for a mirror
  archive pdftext [-lang CODE] [-ocr=false] FILE...            print the text of PDF files, scans read by OCR
  archive import  wordpress [-uploads DIR] [-o DIR] [-section NAME] [-force] EXPORT.xml...
                                                               move a WordPress site into the content folder
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var code int
	switch cmd {
	case "serve":
		code = serve(args)
	case "check":
		code = check(args, os.Stdout, os.Stderr)
	case "build":
		code = build(args, os.Stderr)
	case "export":
		code = exportSite(args, os.Stderr)
	case "pdftext":
		code = pdftext.Main(args, os.Stdout, os.Stderr)
	case "import":
		code = importSite(args, os.Stdout, os.Stderr)
	case "-h", "-help", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "archive: unknown command %q\n%s", cmd, usage)
		code = 2
	}
	os.Exit(code)
}

// folders are the site's three inputs, each from disk or from the binary.
type folders struct {
	content, templates, static fs.FS
	contentDir                 string
}

// openFolders reads a folder from disk when the flag names one or when it
// exists in the working directory or beside the binary, and from the files
// embedded in the binary otherwise.
func openFolders(contentFlag string) (folders, error) {
	var f folders
	var contentDir string
	if contentFlag != "" {
		info, err := os.Stat(contentFlag)
		if err != nil {
			return f, fmt.Errorf("content folder: %w", err)
		}
		if !info.IsDir() {
			return f, fmt.Errorf("content folder: %s is not a folder", contentFlag)
		}
		contentDir = contentFlag
	} else {
		contentDir = findDir("content")
	}
	if contentDir != "" {
		fsys, err := content.OpenDir(contentDir)
		if err != nil {
			return f, err
		}
		f.content, f.contentDir = fsys, contentDir
	} else {
		f.content = contentfs.FS
	}
	f.templates, f.static = templatesfs.FS, staticfs.FS
	if dir := findDir("templates"); dir != "" {
		f.templates = os.DirFS(dir)
	}
	if dir := findDir("static"); dir != "" {
		f.static = os.DirFS(dir)
	}
	return f, nil
}

func findDir(name string) string {
	candidates := []string{name}
	if exe, err := os.Executable(); err == nil {
		candidates = append(candidates, filepath.Join(filepath.Dir(exe), name))
	}
	for _, c := range candidates {
		if info, err := os.Stat(c); err == nil && info.IsDir() {
			return c
		}
	}
	return ""
}

func newLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func serve(args []string) int {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fl.String("addr", defaultAddr(), "address to listen on (HOST:PORT); $PORT sets the port")
	contentDir := fl.String("content", "", "content folder (default: ./content, or the content built into the binary)")
	cacheDir := fl.String("cache", "", "folder that keeps PDF text and the search index between runs (default: none, all in memory)")
	grace := fl.Duration("grace", 20*time.Second, "how long requests in flight may take to finish on shutdown")
	proxies := fl.String("trusted-proxies", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed")
	searchRate := fl.Float64("search-rate", server.DefaultSearchRate, "searches per second one client network may make (0: no limit)")
	searchBurst := fl.Int("search-burst", server.DefaultSearchBurst, "searches one client network may make at once")
	watch := fl.Bool("watch", false, "reload when a file of the content, templates or static folders changes; open pages refresh themselves (for staff previews, not production)")
	maxSearches := fl.Int("max-searches", server.DefaultMaxConcurrentSearches(), "searches running at once; more wait briefly, then get 503 (0: no cap)")
	from := fl.String("from", "", "serve a build made by archive build, read-only (instead of -content)")
	maxConns := fl.Int("max-conns", 0, "connections open at once (default: from the descriptor limit, at most 4096; negative: no cap)")
	connsPerNetwork := fl.Int("conns-per-network", server.DefaultMaxConnsPerNetwork, "connections one client network may hold open; raise it behind an onion service, where every reader comes from one address (negative: no cap)")
	memLimit := memoryLimitFlag(fl)
	if err := fl.Parse(args); err != nil {
		return 2
	}
	// The server's log is buffered (flushed every 200 ms and at exit) so
	// that the access log costs no system call per request.
	lw := newLogWriter(os.Stderr, 200*time.Millisecond)
	defer lw.Close()
	log := slog.New(slog.NewTextHandler(lw, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(log)
	limit, limitFrom, err := applyMemoryLimit(fl, *memLimit)
	if err != nil {
		log.Error("cannot start", "error", err)
		return 2
	}
	log.Info("memory limit", "soft_limit_bytes", limit, "from", limitFrom)
	if *from != "" {
		if *contentDir != "" || *cacheDir != "" || *watch {
			log.Error("cannot start: -from serves a build as it is; it takes no -content, -cache or -watch")
			return 2
		}
		m, err := readBuild(*from)
		if err != nil {
			log.Error("cannot start", "error", err)
			return 1
		}
		log.Info("serving build", "dir", *from, "built", m.Built, "content_hash", m.ContentHash)
		switch {
		case m.NextChange.IsZero():
		case time.Now().Before(m.NextChange):
			log.Info("a publishDate or expiryDate will change what this build should publish: build it again then", "at", m.NextChange)
		default:
			log.Error("this build is out of date: a publishDate or expiryDate has since changed what it should publish; build it again", "at", m.NextChange)
		}
		*contentDir = filepath.Join(*from, "content")
	}
	dirs, err := openFolders(*contentDir)
	if err != nil {
		log.Error("cannot start", "error", err)
		return 1
	}
	trusted, err := server.ParsePrefixes(*proxies)
	if err != nil {
		log.Error("cannot start", "error", fmt.Errorf("-trusted-proxies: %w", err))
		return 2
	}
	if *watch && *cacheDir == "" {
		// Reloads would extract every PDF again without a cache.
		tmp, err := os.MkdirTemp("", "archive-watch-cache")
		if err != nil {
			log.Error("cannot start", "error", err)
			return 1
		}
		defer os.RemoveAll(tmp)
		*cacheDir = tmp
	}
	pipe := pipeline.New(pipeline.Config{
		Content:     dirs.content,
		Templates:   dirs.templates,
		Static:      dirs.static,
		ContentDir:  dirs.contentDir,
		CacheDir:    *cacheDir,
		PDF:         newExtractor(*cacheDir, log),
		Incremental: *watch,
		KeepState:   *from == "" && *cacheDir != "",
		Version:     versionIf(*from == "" && *cacheDir != ""),
		Logger:      log,
	})
	srv := server.New(server.Config{
		Watch:                 *watch,
		Logger:                log,
		TrustedProxies:        trusted,
		SearchRate:            offIfZero(*searchRate),
		SearchBurst:           *searchBurst,
		MaxConcurrentSearches: int(offIfZero(float64(*maxSearches))),
		MaxConns:              *maxConns,
		MaxConnsPerNetwork:    *connsPerNetwork,
	})

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	// Listen at once so that /healthz says 503 while loading; content with
	// errors makes the process exit before /healthz ever says 200, so a load
	// balancer never sends readers to a broken deploy.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Error("cannot listen", "addr", *addr, "error", err)
		return 1
	}
	hs := server.NewHTTPServer(srv)
	errc := make(chan error, 1)
	loaded := make(chan error, 1)
	go func() {
		var err error
		if *from != "" {
			_, err = pipe.Open(filepath.Join(*from, stateDir), srv.Publish)
		} else {
			_, err = pipe.Load(ctx, srv.Publish)
		}
		loaded <- err
	}()
	go func() { errc <- hs.Serve(ln) }()
	log.Info("listening", "addr", "http://"+ln.Addr().String())

	select {
	case err := <-loaded:
		if err != nil {
			var ce *pipeline.ContentError
			if !errors.As(err, &ce) {
				log.Error("cannot start", "error", err)
				hs.Close()
				return 1
			}
			for _, p := range ce.Problems.Errors() {
				fmt.Fprintln(os.Stderr, p.String())
			}
			log.Error("cannot start: the content has errors", "error", firstLine(err))
			hs.Close()
			return 1
		}
		pipeline.SettleCollector()
	case err := <-errc:
		log.Error("server stopped", "error", err)
		return 1
	case <-ctx.Done():
	}
	if *watch && dirs.contentDir != "" {
		go pipe.Watch(ctx, time.Second, srv.Publish, srv.Reloaded)
		log.Info("watching for changes", "content", dirs.contentDir)
	} else if *from == "" {
		go pipe.RunSchedule(ctx, srv.Publish)
	}

	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("server stopped", "error", err)
			return 1
		}
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", *grace)
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Error("shutdown", "error", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// versionIf is the program's version when a cached state may be kept,
// which is the only use serve has for it, and "" otherwise.
func versionIf(keepState bool) string {
	if !keepState {
		return ""
	}
	return programVersion()
}

// offIfZero maps a flag's "0: off" to the config's "negative: off".
func offIfZero(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}

func firstLine(err error) string {
	s := err.Error()
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}

func defaultAddr() string {
	if p := os.Getenv("PORT"); p != "" {
		return ":" + p
	}
	return ":8080"
}

func newExtractor(cacheDir string, log *slog.Logger) *pdftext.Extractor {
	e := &pdftext.Extractor{Logger: log}
	if cacheDir != "" {
		e.CacheDir = filepath.Join(cacheDir, "pdftext")
	}
	return e
}

func check(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("check", flag.ContinueOnError)
	fl.SetOutput(stderr)
	contentDir := fl.String("content", "", "content folder (default: ./content)")
	cacheDir := fl.String("cache", "", "folder that keeps extracted PDF text between runs")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	dirs, err := openFolders(*contentDir)
	if err != nil {
		fmt.Fprintln(stderr, "archive check:", err)
		return 1
	}
	cs, problems, err := content.Load(dirs.content, content.Options{})
	var pdfs pipeline.PDFCheck
	if err != nil {
		fmt.Fprintln(stderr, "archive check:", err)
		return 1
	}
	if dirs.contentDir != "" {
		pdfs = pipeline.CheckPDFs(context.Background(), newExtractor(*cacheDir, slog.New(slog.DiscardHandler)), dirs.contentDir, cs)
		problems = append(problems, pdfs.Problems...)
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p.String())
	}
	for _, w := range cs.Withheld {
		fmt.Fprintln(stdout, w.String())
	}
	for _, line := range pdfs.OCRRead {
		fmt.Fprintln(stdout, line)
	}
	errs := len(problems.Errors())
	fmt.Fprintln(stderr, checkSummary(cs, pdfs, errs, len(problems)-errs))
	if errs > 0 {
		return 1
	}
	return 0
}

// checkSummary says in one line what the content publishes and what it
// keeps back, so that staff see at a glance what a deploy will serve.
func checkSummary(cs *content.Site, pdfs pipeline.PDFCheck, errs, warnings int) string {
	attached := map[string]bool{}
	for _, p := range cs.Publications {
		for _, a := range p.Attachments {
			attached[a.Path] = true
		}
	}
	documents := len(cs.Documents)
	withheld := len(cs.Withheld) + cs.Hidden + cs.Ignored
	return fmt.Sprintf("%d publications, %d pages, %d section pages, %d attachments, %d documents (PDFs: %d with text, %d scans without), %d redirect stubs, %d files served; not published: %d (%d hidden, %d ignored); %d errors, %d warnings",
		len(cs.Publications), len(cs.Pages), len(cs.SectionPages), len(attached), documents, pdfs.Text, pdfs.Scans, len(cs.RedirectStubs), len(cs.Files), withheld, cs.Hidden, cs.Ignored, errs, warnings)
}
