package browsertest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"archive/internal/archivetest"
)

// The run's shared state, set up once by TestMain.
var (
	serverURL  string          // http://127.0.0.1:PORT
	browser    context.Context // a chromedp context holding the one browser
	noBrowser  string          // why the tests skip, when they do
	shotsDir   string
	axeSource  string // axe.min.js, "" when not installed
	axeMissing string
	results    = &reportLog{}
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	shotsDir = os.Getenv("ARCHIVE_SCREENSHOTS")
	if shotsDir == "" {
		shotsDir = filepath.Join(os.TempDir(), "archive-screenshots")
	}
	if err := prepareShotsDir(); err != nil {
		fmt.Fprintln(os.Stderr, "browsertest:", err)
		return 1
	}
	chrome := findChrome()
	if chrome == "" {
		noBrowser = "no Chromium found (install Debian's chromium package, or set CHROME_PATH): browser tests skipped"
		fmt.Println("browsertest:", noBrowser)
		os.WriteFile(filepath.Join(shotsDir, "REPORT.txt"), []byte("Browser tests skipped: "+noBrowser+"\n"), 0o644)
		return m.Run()
	}
	loadAxe()
	tmp, err := os.MkdirTemp("", "archive-browsertest")
	if err != nil {
		fmt.Fprintln(os.Stderr, "browsertest:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	stop, err := startServer(tmp)
	if err != nil {
		fmt.Fprintln(os.Stderr, "browsertest: start the server:", err)
		return 1
	}
	defer stop()

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chrome),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		// Without these Chromium calls home on start, which on a closed
		// network ends in refused connections and noise in the logs.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		// Headless Chromium has no mouse and so matches (hover: none): say
		// it has one, as a desktop does. Phone tabs emulate a touch screen,
		// which matches (hover: none) again.
		chromedp.Flag("blink-settings", "primaryHoverType=2,availableHoverTypes=2,primaryPointerType=4,availablePointerTypes=4"),
		chromedp.UserDataDir(filepath.Join(tmp, "chromium-profile")),
	)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil {
		fmt.Fprintln(os.Stderr, "browsertest: start Chromium:", err)
		return 1
	}
	browser = bctx

	code := m.Run()
	if err := results.write(filepath.Join(shotsDir, "REPORT.txt")); err != nil {
		fmt.Fprintln(os.Stderr, "browsertest:", err)
	}
	fmt.Printf("browsertest: screenshots and REPORT.txt in %s\n", shotsDir)
	return code
}

func findChrome() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func loadAxe() {
	dir := os.Getenv("AXE_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "archive-axe")
	}
	file := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
	b, err := os.ReadFile(file)
	if err != nil {
		axeMissing = fmt.Sprintf("axe-core not installed at %s (npm install --prefix %s axe-core@4, as .ci/run does): accessibility audit skipped", file, dir)
		fmt.Println("browsertest:", axeMissing)
		return
	}
	axeSource = string(b)
}

// prepareShotsDir empties the folder of what an earlier run left, and of
// nothing else.
func prepareShotsDir() error {
	if err := os.MkdirAll(shotsDir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(shotsDir, "*.png"))
	pdfs, _ := filepath.Glob(filepath.Join(shotsDir, "*.pdf"))
	for _, f := range append(append(old, pdfs...), filepath.Join(shotsDir, "REPORT.txt")) {
		os.Remove(f)
	}
	return nil
}

// startServer serves a copy of content/ with testdata/content laid over
// it, from the repository root so that the templates and stylesheet on
// disk are used, and waits until /healthz says the search index is built.
func startServer(tmp string) (stop func(), err error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return nil, err
	}
	bin, err := archivetest.Binary()
	defer func() {
		if err != nil {
			archivetest.RemoveBinary()
		}
	}()
	if err != nil {
		return nil, err
	}
	contentDir := filepath.Join(tmp, "content")
	if err := os.CopyFS(contentDir, os.DirFS(filepath.Join(root, "content"))); err != nil {
		return nil, err
	}
	if err := os.CopyFS(contentDir, os.DirFS("testdata/content")); err != nil {
		return nil, err
	}
	s, _, err := archivetest.Serve(context.Background(), archivetest.Config{
		Bin: bin, Dir: root, Log: filepath.Join(tmp, "serve.log"),
		Args: []string{"-content", contentDir, "-grace", "2s"},
	}, 90*time.Second)
	if err != nil {
		return nil, err
	}
	serverURL = s.URL
	return func() { s.Stop(); archivetest.RemoveBinary() }, nil
}

// viewport is a reader's screen.
type viewport struct {
	name          string
	width, height int64
	phone         bool
}

var (
	phone   = viewport{"phone", 390, 844, true}
	desktop = viewport{"desktop", 1280, 900, false}
)

// tab is one browser tab and what it saw: console errors and every URL it
// requested, with the bytes that came over the network.
type tab struct {
	ctx    context.Context
	cancel context.CancelFunc
	view   viewport

	mu       sync.Mutex
	errors   []string
	requests []string
	types    map[network.RequestID]string // MIME type by request
	urls     map[network.RequestID]string
	received map[network.RequestID]float64 // bytes on the wire by request
}

type tabOptions struct {
	view  viewport
	js    bool
	dark  bool
	print bool
}

// openTab opens a tab set up as a reader's browser would be. It closes when
// t ends, so a tab opened by a test serves all its subtests.
func openTab(t *testing.T, o tabOptions) *tab {
	t.Helper()
	if noBrowser != "" {
		t.Skip(noBrowser)
	}
	ctx, cancel := chromedp.NewContext(browser)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	tb := &tab{ctx: ctx, types: map[network.RequestID]string{}, urls: map[network.RequestID]string{}, received: map[network.RequestID]float64{}}
	tb.cancel = func() { cancelTimeout(); cancel() }
	t.Cleanup(tb.cancel)
	if err := chromedp.Listen(ctx, tb.listen); err != nil {
		t.Fatal(err)
	}
	tb.view = o.view
	scheme := "light"
	if o.dark {
		scheme = "dark"
	}
	media := ""
	if o.print {
		media = "print"
	}
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(o.view.width, o.view.height, tb.viewOptions()...),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media, Features: []*emulation.MediaFeature{
				{Name: "prefers-color-scheme", Value: scheme},
			}})
			if err != nil {
				return err
			}
			_, err = chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !o.js})
			return err
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func (tb *tab) viewOptions() []chromedp.EmulateViewportOption {
	if tb.view.phone {
		return []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateTouch}
	}
	return nil
}

// listen runs on chromedp's reading goroutine: it only records.
func (tb *tab) listen(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		tb.errors = append(tb.errors, "exception: "+ev.ExceptionDetails.Text)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			tb.errors = append(tb.errors, "console."+string(ev.Type))
		}
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			tb.errors = append(tb.errors, fmt.Sprintf("%s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	case *network.EventRequestWillBeSent:
		tb.requests = append(tb.requests, ev.Request.URL)
		tb.urls[ev.RequestID] = ev.Request.URL
	case *network.EventResponseReceived:
		tb.types[ev.RequestID] = ev.Response.MimeType
	case *network.EventLoadingFinished:
		tb.received[ev.RequestID] = ev.EncodedDataLength
	}
}

// visit loads path and returns the HTTP status of the document. What the tab
// saw before is forgotten, so that checkClean speaks of this page only.
func (tb *tab) visit(t *testing.T, path string) int64 {
	t.Helper()
	tb.mu.Lock()
	tb.errors, tb.requests = nil, nil
	clear(tb.types)
	clear(tb.urls)
	clear(tb.received)
	tb.mu.Unlock()
	res, err := chromedp.RunResponse(tb.ctx, chromedp.Navigate(serverURL+path))
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return res.Status
}

// checkClean fails the test for console errors (but the one a 404 page
// causes by being a 404) and for requests to any host but the server's.
func (tb *tab) checkClean(t *testing.T, status int64) {
	t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, e := range tb.errors {
		if status == http.StatusNotFound && strings.Contains(e, "status of 404") {
			continue
		}
		t.Errorf("console error: %s", e)
	}
	server, _ := url.Parse(serverURL)
	for _, r := range tb.requests {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "data" && u.Scheme != "about" && u.Host != server.Host) {
			t.Errorf("request to another host: %s", r)
		}
	}
}

func (tb *tab) eval(t *testing.T, js string, opts ...chromedp.EvaluateOption) any {
	t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[any](js, opts...))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (tb *tab) evalBool(t *testing.T, js string) bool {
	t.Helper()
	b, _ := tb.eval(t, js).(bool)
	return b
}

func (tb *tab) evalNumber(t *testing.T, js string) float64 {
	t.Helper()
	f, _ := tb.eval(t, js).(float64)
	return f
}

func (tb *tab) evalString(t *testing.T, js string, opts ...chromedp.EvaluateOption) string {
	t.Helper()
	s, _ := tb.eval(t, js, opts...).(string)
	return s
}

// screenshot saves the whole page as a PNG in the screenshots folder. It
// makes the screen as tall as the page rather than capturing beyond the
// viewport, which drops the phone's touch emulation and so shows the page as
// a mouse user would see it.
func (tb *tab) screenshot(t *testing.T, name, what string) {
	t.Helper()
	height := int64(tb.evalNumber(t, `document.documentElement.scrollHeight`))
	png, err := chromedp.Run(tb.ctx, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		if _, err := chromedp.EmulateViewport(tb.view.width, max(height, tb.view.height), tb.viewOptions()...)(ctx, tg); err != nil {
			return nil, err
		}
		png, err := chromedp.CaptureScreenshot()(ctx, tg)
		if err != nil {
			return nil, err
		}
		_, err = chromedp.EmulateViewport(tb.view.width, tb.view.height, tb.viewOptions()...)(ctx, tg)
		return png, err
	})
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	file := filepath.Join(shotsDir, name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Fatal(err)
	}
	results.shot(name+".png", what, len(png))
}

// reportLog gathers what REPORT.txt lists: screenshots, audit results and
// measurements.
type reportLog struct {
	mu     sync.Mutex
	shots  []string
	audits []string
	notes  []string
}

func (r *reportLog) shot(file, what string, size int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.shots = append(r.shots, fmt.Sprintf("%-44s %5d KB  %s", file, (size+512)/1024, what))
}

func (r *reportLog) audit(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.audits = append(r.audits, line)
}

func (r *reportLog) note(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, line)
}

func (r *reportLog) write(file string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	sort.Strings(r.shots)
	var b strings.Builder
	fmt.Fprintf(&b, "Browser test report, %s, Chromium %s\n\n", time.Now().UTC().Format(time.RFC3339), chromiumVersion())
	b.WriteString("Screenshots\n")
	for _, s := range r.shots {
		b.WriteString("  " + s + "\n")
	}
	b.WriteString("\nAccessibility audit (axe-core; any serious or critical violation fails the tests)\n")
	if axeMissing != "" {
		b.WriteString("  " + axeMissing + "\n")
	}
	for _, s := range r.audits {
		b.WriteString("  " + s + "\n")
	}
	b.WriteString("\nMeasurements\n")
	for _, s := range r.notes {
		b.WriteString("  " + s + "\n")
	}
	if len(r.shots)+len(r.audits)+len(r.notes) == 0 {
		return errors.New("nothing to report: no browser test ran")
	}
	return os.WriteFile(file, []byte(b.String()), 0o644)
}

func chromiumVersion() string {
	if browser == nil {
		return "?"
	}
	v, err := chromedp.CallBrowser(browser, cdpbrowser.GetVersion, cdp.Empty{})
	if err != nil {
		return "?"
	}
	return v.Product
}
