package pdftext

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// ocrCacheVersion is part of every OCR cache file name: bump it when the
// images handed to Tesseract or the reading of its output change.
const ocrCacheVersion = "1"

// OCRConfig says how an [Extractor] reads scanned pages (Page.Scan) with
// Tesseract. The zero value reads them with the tesseract on PATH.
type OCRConfig struct {
	// Off leaves scanned pages unread (NoText), as without Tesseract.
	Off bool
	// Command is the Tesseract program (default "tesseract", on PATH).
	Command string
	// Languages are read for a file whose language has no installed
	// Tesseract model, or none given: BCP 47 tags ("en", "zh-Hant") or
	// Tesseract names ("eng", "chi_tra", "eng+fra"). Default eng. The site's
	// ocr_languages.
	Languages []string
	// Timeout bounds one Tesseract run, one image (default 2 minutes).
	Timeout time.Duration
	// MemoryLimit is the address space of one Tesseract process (default
	// 1 GiB; a page at 300 dpi needs about 150 MiB).
	MemoryLimit uint64
}

const (
	defaultOCRTimeout = 2 * time.Minute
	defaultOCRMemory  = 1 << 30
)

// TesseractInfo is the Tesseract an Extractor runs.
type TesseractInfo struct {
	Path      string
	Version   string   // "5.3.0"
	Languages []string // installed models ("eng", "chi_sim"), osd left out
}

// ErrNoTesseract is why scanned pages are not read where Tesseract is not
// installed.
var ErrNoTesseract = errors.New("Tesseract (OCR) is not installed")

// Tesseract finds the Tesseract the Extractor runs, once: its version and
// languages. The error is ErrNoTesseract (wrapped) when there is none.
func (e *Extractor) Tesseract() (TesseractInfo, error) {
	e.tessOnce.Do(func() { e.tess, e.tessErr = findTesseract(e.OCR.Command) })
	return e.tess, e.tessErr
}

func findTesseract(command string) (TesseractInfo, error) {
	if command == "" {
		command = "tesseract"
	}
	path, err := exec.LookPath(command)
	if err != nil {
		return TesseractInfo{}, ErrNoTesseract
	}
	run := func(arg string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return exec.CommandContext(ctx, path, arg).Output()
	}
	out, err := run("--version")
	if err != nil {
		return TesseractInfo{}, fmt.Errorf("%w: %s --version: %v", ErrNoTesseract, path, err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	f := strings.Fields(first)
	if len(f) < 2 || f[0] != "tesseract" {
		return TesseractInfo{}, fmt.Errorf("%w: %s --version says %q", ErrNoTesseract, path, first)
	}
	info := TesseractInfo{Path: path, Version: strings.TrimPrefix(f[1], "v")}
	out, err = run("--list-langs")
	if err != nil {
		return TesseractInfo{}, fmt.Errorf("%w: %s --list-langs: %v", ErrNoTesseract, path, err)
	}
	for i, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); i > 0 && l != "" && l != "osd" {
			info.Languages = append(info.Languages, l)
		}
	}
	if len(info.Languages) == 0 {
		return TesseractInfo{}, fmt.Errorf("%w: it has no language data (apt-get install tesseract-ocr-eng)", ErrNoTesseract)
	}
	return info, nil
}

// tesseractLanguages maps BCP 47 tags, lower-cased, to Tesseract models.
// A tag is looked up whole, then without its last subtag, and so on:
// zh-Hant-TW finds zh-hant. The README has the table.
var tesseractLanguages = map[string]string{
	"en": "eng", "fr": "fra", "es": "spa", "de": "deu", "ru": "rus", "ar": "ara",
	"ja": "jpn", "ko": "kor", "pt": "por", "it": "ita", "nl": "nld", "tr": "tur",
	"fa": "fas", "ur": "urd", "hi": "hin", "bn": "ben", "uk": "ukr", "pl": "pol",
	"vi": "vie", "th": "tha", "id": "ind", "ms": "msa", "he": "heb", "el": "ell",
	"ug": "uig", "bo": "bod", "my": "mya", "km": "khm", "ta": "tam", "sw": "swa",
	"kk": "kaz", "uz": "uzb", "az": "aze", "ka": "kat", "hy": "hye", "mn": "mon",
	"ne": "nep", "ps": "pus", "am": "amh", "ti": "tir", "so": "som",
	"zh": "chi_sim", "zh-hans": "chi_sim", "zh-cn": "chi_sim", "zh-sg": "chi_sim",
	"zh-hant": "chi_tra", "zh-tw": "chi_tra", "zh-hk": "chi_tra", "zh-mo": "chi_tra",
	"ja-jpan": "jpn", "mn-mong": "mon",
}

// TesseractLanguage is the Tesseract model that reads text in the language
// of BCP 47 tag, "" when there is none in the table.
func TesseractLanguage(tag string) string {
	t := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(tag), "_", "-"))
	for t != "" {
		if l, ok := tesseractLanguages[t]; ok {
			return l
		}
		i := strings.LastIndexByte(t, '-')
		if i < 0 {
			break
		}
		t = t[:i]
	}
	return ""
}

// ocrLanguages chooses the -l argument for a file in language lang: its
// model if installed, else the site default's installed ones, else eng.
func (e *Extractor) ocrLanguages(lang string, info TesseractInfo) (string, error) {
	installed := map[string]bool{}
	for _, l := range info.Languages {
		installed[l] = true
	}
	if l := TesseractLanguage(lang); installed[l] {
		return l, nil
	}
	var picked []string
	for _, d := range e.OCR.Languages {
		for _, part := range strings.Split(d, "+") {
			name := TesseractLanguage(part)
			if name == "" {
				name = strings.TrimSpace(part)
			}
			if installed[name] && !contains(picked, name) {
				picked = append(picked, name)
			}
		}
	}
	if len(picked) > 0 {
		return strings.Join(picked, "+"), nil
	}
	if installed["eng"] {
		return "eng", nil
	}
	return "", fmt.Errorf("no Tesseract language data for %q, nor eng, is installed (apt-get install tesseract-ocr-eng)", lang)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ocrResult is what OCR made of one page; it is also the cache entry.
type ocrResult struct {
	Text       string  `json:"text,omitempty"`
	Confidence float64 `json:"confidence,omitempty"`
	Lang       string  `json:"lang,omitempty"`
	Err        string  `json:"err,omitempty"`
}

func (r ocrResult) applyTo(p *Page) {
	p.OCRErr = r.Err
	if r.Lang == "" {
		return // not read at all
	}
	p.OCR, p.OCRLang, p.Confidence = true, r.Lang, r.Confidence
	if r.Text == "" {
		return
	}
	// The text layer's few characters (a stamp, a page number) are not in
	// the image: keep them, after what the image says.
	if strings.TrimSpace(p.Text) != "" {
		p.Text = r.Text + "\n" + p.Text
	} else {
		p.Text = r.Text
	}
	p.NoText = false
}

func (e *Extractor) ocrCachePath(sum string, page int, version, langs string) string {
	name := fmt.Sprintf("%s.p%d.%s.t%s.v%s.json", sum, page, strings.ReplaceAll(langs, "+", "_"), safeName(version), ocrCacheVersion)
	return filepath.Join(e.CacheDir, "ocr", sum[:2], name)
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-') {
			return r
		}
		return '_'
	}, s)
}

// ocrDocument reads the scanned pages of doc by OCR: from the cache, or by
// writing their images in a child and running Tesseract on each, several
// at once. It returns how many pages Tesseract read and how long that took.
func (e *Extractor) ocrDocument(ctx context.Context, path, sum, lang string, doc *Document) (int, time.Duration) {
	var scans []int // indexes into doc.Pages
	for i, p := range doc.Pages {
		if p.Scan && !p.OCR {
			scans = append(scans, i)
		}
	}
	if len(scans) == 0 || e.OCR.Off {
		return 0, 0
	}
	fail := func(reason string) {
		for _, i := range scans {
			doc.Pages[i].OCRErr = reason
		}
	}
	info, err := e.Tesseract()
	if err != nil {
		fail(err.Error())
		return 0, 0
	}
	langs, err := e.ocrLanguages(lang, info)
	if err != nil {
		fail(err.Error())
		return 0, 0
	}
	var todo []int
	for _, i := range scans {
		var r ocrResult
		if e.readCache(e.ocrCachePath(sum, doc.Pages[i].Number, info.Version, langs), &r) {
			r.applyTo(&doc.Pages[i])
		} else {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return 0, 0
	}

	start := time.Now()
	var (
		conf      float64
		read      int
		lastError string
	)
	// A batch of pages at a time, each cached when read: their images are
	// on disk only while Tesseract reads them, so a file of a thousand
	// scanned pages does not fill the temporary folder.
	batch := 4 * cap(e.sem)
	for from := 0; from < len(todo); from += batch {
		idx := todo[from:min(from+batch, len(todo))]
		pages := make([]int, len(idx))
		for j, i := range idx {
			pages[j] = doc.Pages[i].Number
		}
		results := e.ocrPages(ctx, path, pages, langs, info)
		if ctx.Err() != nil {
			return read, time.Since(start) // the rest is not cached: the file may be fine
		}
		for j, i := range idx {
			r := results[j]
			r.applyTo(&doc.Pages[i])
			e.writeCache(e.ocrCachePath(sum, pages[j], info.Version, langs), r)
			if r.Lang != "" {
				read++
				conf += r.Confidence
			} else {
				lastError = r.Err
			}
		}
	}
	log := e.logger()
	if read > 0 {
		log.Info("pdf pages read by OCR", "path", path, "pages", read, "scanned", len(todo), "lang", langs,
			"mean_confidence", fmt.Sprintf("%.1f", conf/float64(read)), "elapsed", time.Since(start))
	} else {
		log.Warn("pdf pages not read by OCR", "path", path, "pages", len(todo), "reason", lastError)
	}
	return read, time.Since(start)
}

// ocrPages reads pages into results: their images written by one child
// into a temporary folder, then Tesseract on each, several at once.
func (e *Extractor) ocrPages(ctx context.Context, path string, pages []int, langs string, info TesseractInfo) []ocrResult {
	results := make([]ocrResult, len(pages))
	dir, err := os.MkdirTemp("", "archive-ocr")
	if err != nil {
		for j := range results {
			results[j] = ocrResult{Err: "OCR: " + err.Error()}
		}
		return results
	}
	defer os.RemoveAll(dir)
	images, reason := e.writeImages(ctx, path, pages, dir)
	var wg sync.WaitGroup
	for j, n := range pages {
		wg.Go(func() {
			pi, ok := images[n]
			switch {
			case !ok:
				results[j] = ocrResult{Err: "page image not read: " + reason}
			case pi.Err != "":
				results[j] = ocrResult{Err: pi.Err}
			default:
				results[j] = e.ocrPage(ctx, dir, pi, langs, info)
			}
		})
	}
	wg.Wait()
	return results
}

// writeImages runs the child that writes the images of pages into dir.
// reason says why pages it did not report on are missing.
func (e *Extractor) writeImages(ctx context.Context, path string, pages []int, dir string) (map[int]pageImages, string) {
	list := make([]string, len(pages))
	for i, n := range pages {
		list[i] = strconv.Itoa(n)
	}
	out := map[int]pageImages{}
	if err := e.acquire(ctx); err != nil {
		return out, err.Error()
	}
	reason, _ := e.runChild(ctx, path, []string{"-images", dir, "-pages", strings.Join(list, ",")}, func(m message) {
		if m.Images != nil {
			out[m.Images.Page] = *m.Images
		}
	})
	e.release()
	return out, reason
}

// ocrPage runs Tesseract on each image of one page.
func (e *Extractor) ocrPage(ctx context.Context, dir string, pi pageImages, langs string, info TesseractInfo) ocrResult {
	var (
		texts []string
		errs  []string
		conf  float64
		words int
		read  bool
	)
	for _, im := range pi.Images {
		if im.Err != "" {
			errs = append(errs, im.Err)
			continue
		}
		if err := e.acquire(ctx); err != nil {
			return ocrResult{Err: err.Error()}
		}
		tsv, reason := e.tesseract(ctx, filepath.Join(dir, im.Name), im.DPI, langs, info)
		e.release()
		if reason != "" {
			errs = append(errs, reason)
			continue
		}
		read = true
		text, c, n := parseTSV(tsv)
		if text != "" {
			texts = append(texts, text)
		}
		conf += c * float64(n)
		words += n
	}
	r := ocrResult{Err: strings.Join(errs, "; ")}
	if read {
		r.Lang = langs
		r.Text = strings.Join(texts, "\n")
		if words > 0 {
			r.Confidence = float64(int(conf/float64(words)*10+0.5)) / 10
		}
	}
	return r
}

// tesseract runs Tesseract on one image, as a child with the OCR time and
// memory limits, and returns its TSV output or why there is none.
func (e *Extractor) tesseract(ctx context.Context, image string, dpi int, langs string, info TesseractInfo) ([]byte, string) {
	limit := e.OCR.MemoryLimit
	if limit == 0 {
		limit = defaultOCRMemory
	}
	timeout := e.OCR.Timeout
	if timeout <= 0 {
		timeout = defaultOCRTimeout
	}
	cmd := limitedCommand(limit, info.Path, image, "stdout", "--dpi", strconv.Itoa(dpi), "-l", langs, "--psm", "3", "tsv")
	// Pages run side by side, one core each: Tesseract's own threads
	// would only compete with one another.
	// glibc gives threads that contend for malloc new arenas, each a
	// reservation of 64 MiB of address space: on a busy machine they can
	// pass the address-space limit that a page's work never nears. Two
	// arenas keep the reservation what the work needs.
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1", "MALLOC_ARENA_MAX=2")
	var stdout, stderr tailBuffer
	stdout.max = maxLine
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, "starting OCR: " + err.Error()
	}
	timedOut := make(chan struct{})
	timer := time.AfterFunc(timeout, func() {
		close(timedOut)
		killGroup(cmd)
	})
	stop := context.AfterFunc(ctx, func() { killGroup(cmd) })
	waitErr := cmd.Wait()
	timer.Stop()
	stop()
	select {
	case <-timedOut:
		return nil, fmt.Sprintf("OCR timed out after %v", timeout)
	default:
	}
	if ctx.Err() != nil {
		return nil, ctx.Err().Error()
	}
	if waitErr != nil {
		return nil, tesseractFailure(waitErr, stderr.String(), limit)
	}
	return []byte(stdout.String()), ""
}

// tesseractFailure explains a Tesseract run that failed, in one line.
func tesseractFailure(waitErr error, stderr string, limit uint64) string {
	low := strings.ToLower(stderr)
	for _, s := range []string{"bad_alloc", "out of memory", "cannot allocate", "failed to map segment", "memory exhausted", "pixdata not made"} {
		if strings.Contains(low, s) {
			return fmt.Sprintf("OCR out of memory (limit %d MiB)", limit>>20)
		}
	}
	for l := range strings.Lines(stderr) {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "Tesseract Open Source") || strings.HasPrefix(l, "Estimating resolution") || strings.HasPrefix(l, "Detected ") {
			continue
		}
		return "OCR failed: " + l
	}
	return "OCR failed: " + crashReason(waitErr, "", limit)
}

// parseTSV turns Tesseract's TSV output into text (words by spaces, lines
// by newlines, cleaned as the text layer is) and the mean confidence of its
// words.
func parseTSV(tsv []byte) (text string, confidence float64, words int) {
	var (
		b       strings.Builder
		lineKey string
		sum     float64
	)
	for i, line := range bytes.Split(tsv, []byte("\n")) {
		f := strings.Split(strings.TrimRight(string(line), "\r"), "\t")
		if i == 0 || len(f) < 12 || f[0] != "5" {
			continue
		}
		word := strings.TrimSpace(f[11])
		conf, err := strconv.ParseFloat(f[10], 64)
		if word == "" || err != nil || conf < 0 {
			continue
		}
		key := f[1] + "." + f[2] + "." + f[3] + "." + f[4]
		switch {
		case b.Len() == 0:
		case key != lineKey:
			b.WriteByte('\n')
		default:
			b.WriteByte(' ')
		}
		lineKey = key
		b.WriteString(word)
		sum += conf
		words++
	}
	if words == 0 {
		return "", 0, 0
	}
	return joinCJK(cleanText(b.String())), sum / float64(words), words
}

// joinCJK removes the spaces Tesseract puts between Chinese and Japanese
// characters, which are written without them. Korean keeps its spaces.
func joinCJK(s string) string {
	if !strings.ContainsFunc(s, isCJK) {
		return s
	}
	rs := []rune(s)
	out := make([]rune, 0, len(rs))
	for i, r := range rs {
		if r == ' ' && i > 0 && i+1 < len(rs) && isCJK(rs[i-1]) && isCJK(rs[i+1]) {
			continue
		}
		out = append(out, r)
	}
	return string(out)
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) ||
		r >= 0x3000 && r <= 0x303F || r >= 0xFF00 && r <= 0xFFEF
}
