package pipeline

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"archive/internal/content"
	"archive/internal/pdftext"
	"archive/internal/site"
)

// pdfTexts is the text of every PDF attachment and standalone document, and
// what the pages show of it.
type pdfTexts struct {
	docs     map[string]*pdftext.Document // by attachment path
	infos    map[string]site.PDFInfo
	problems content.Problems
	// extracted files were read by child processes, with pages pages, in
	// child time altogether (see Timings).
	extracted, pages int
	child            time.Duration
	// ocrPages were read by Tesseract (not from the cache), in ocr time.
	ocrPages int
	ocr      time.Duration
}

// extractPDFs reads the text of every PDF attachment of cs, in child
// processes. A PDF that fails leaves its publication online: the failure is
// a warning, shown beside the attachment.
func extractPDFs(ctx context.Context, e *pdftext.Extractor, dir string, cs *content.Site, log *slog.Logger) pdfTexts {
	out := pdfTexts{docs: map[string]*pdftext.Document{}, infos: map[string]site.PDFInfo{}}
	if e == nil {
		return out
	}
	if dir == "" {
		// Content built into the binary: the children read files, so write
		// the PDFs out for as long as extraction takes.
		tmp, err := writePDFs(cs)
		if err != nil {
			out.problems = append(out.problems, content.Problem{Path: "content", Warning: true, Message: "PDF text not extracted: " + err.Error()})
			return out
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	// The same file attached twice (a report and its annex elsewhere, or
	// one PDF under several publications) is read once, in the language of
	// the first publication that has it: extraction is by far the slowest
	// step of a start.
	files := map[string]string{}     // file extracted -> language of its publication
	extracted := map[string]string{} // attachment path -> file extracted for it
	bySum := map[string]string{}
	for _, pub := range slices.Concat(cs.Publications, cs.Documents) {
		for _, a := range pub.Attachments {
			if !a.IsPDF() {
				continue
			}
			full := filepath.Join(dir, filepath.FromSlash(a.Path))
			if first, ok := bySum[a.SHA256]; ok && a.SHA256 != "" {
				extracted[a.Path] = first
				continue
			}
			bySum[a.SHA256] = full
			extracted[a.Path] = full
			files[full] = pub.Lang
		}
	}
	if len(files) == 0 {
		return out
	}
	if len(e.OCR.Languages) == 0 {
		// The site's default for scans in a language with no model.
		e.OCR.Languages = cs.Settings.OCRLanguages
	}
	last := time.Now()
	results := e.ExtractFilesLang(ctx, files, func(done, total int) {
		if log != nil && (time.Since(last) > 2*time.Second || done == total) {
			last = time.Now()
			log.Info("extracting PDF text", "done", done, "total", total)
		}
	})
	tess, tessErr := e.Tesseract()
	noOCR := scansWithoutOCR{files: map[string]bool{}, langs: map[string]bool{}}
	counted := map[string]bool{}
	for _, pub := range slices.Concat(cs.Publications, cs.Documents) {
		for _, a := range pub.Attachments {
			full, ok := extracted[a.Path]
			if !ok {
				continue
			}
			p := a.Path
			r := results[full]
			first := !counted[full]
			counted[full] = true
			if r.Child > 0 && r.Doc != nil && first {
				out.extracted++
				out.pages += r.Doc.NumPages()
				out.child += r.Child
			}
			if first {
				out.ocrPages += r.OCRPages
				out.ocr += r.OCR
			}
			info := site.PDFInfo{}
			if r.Err != nil {
				info.Err = r.Err.Error()
				out.problems = append(out.problems, content.Problem{Path: p, Warning: true,
					Message: "PDF text cannot be read, so it is not searchable: " + strings.TrimPrefix(info.Err, full+": ")})
			}
			if r.Doc != nil {
				out.docs[p] = r.Doc
				info.Pages = r.Doc.NumPages()
				info.NoText = r.Doc.Scanned()
				scans := 0
				for _, pg := range r.Doc.Pages {
					if pg.Scan {
						scans++
					}
				}
				if info.NoText && (scans == 0 || e.OCR.Off) {
					out.problems = append(out.problems, content.Problem{Path: p, Warning: true,
						Message: fmt.Sprintf("PDF has no text layer (a scan?) on any of its %d pages: it cannot be searched; add an OCR text layer", info.Pages)})
				}
				for _, pg := range r.Doc.Pages {
					if pg.Err != "" {
						out.problems = append(out.problems, content.Problem{Path: p, Warning: true,
							Message: fmt.Sprintf("page %d: %s", pg.Number, pg.Err)})
					}
					if !pg.Scan || e.OCR.Off {
						continue
					}
					switch {
					case pg.OCRErr != "" && tessErr != nil:
						// Said once for the whole site, below.
						if first {
							noOCR.pages++
							noOCR.files[full] = true
							noOCR.langs[pub.Lang] = true
						}
					case pg.OCRErr != "" && !pg.OCR:
						out.problems = append(out.problems, content.Problem{Path: p, Warning: true,
							Message: fmt.Sprintf("page %d is a scan that OCR could not read, so it is not searchable: %s", pg.Number, pg.OCRErr)})
					case pg.OCRErr != "":
						out.problems = append(out.problems, content.Problem{Path: p, Warning: true,
							Message: fmt.Sprintf("page %d is a scan of which OCR read only part: %s", pg.Number, pg.OCRErr)})
					case pg.OCR && !pg.NoText && pg.Confidence < lowOCRConfidence:
						out.problems = append(out.problems, content.Problem{Path: p, Warning: true,
							Message: fmt.Sprintf("page %d was read by OCR (Tesseract, %s) with a mean confidence of %.0f%%, below %d%%: its text may be wrong; check it against the scan%s",
								pg.Number, pg.OCRLang, pg.Confidence, lowOCRConfidence, missingModel(pub.Lang, tess))})
					}
				}
			}
			out.infos[p] = info
		}
	}
	if noOCR.pages > 0 {
		out.problems = append(out.problems, content.Problem{Path: "content", Warning: true, Message: noOCR.message(tessErr)})
	}
	if log != nil && out.ocrPages > 0 {
		log.Info("PDF pages read by OCR", "pages", out.ocrPages, "elapsed", out.ocr)
	}
	return out
}

// lowOCRConfidence is the mean word confidence (Tesseract's, 0 to 100)
// below which a page read by OCR is reported: clean scans read at 90 or
// more, a scan read in the wrong language or a poor photocopy far lower.
const lowOCRConfidence = 70

// missingModel advises installing the Tesseract model of a publication's
// language when it is not there (the page was read in another language).
func missingModel(lang string, tess pdftext.TesseractInfo) string {
	l := pdftext.TesseractLanguage(lang)
	if l == "" || slices.Contains(tess.Languages, l) {
		return ""
	}
	return fmt.Sprintf(" (the publication's language %s needs Tesseract's %s: apt-get install %s)", lang, l, tesseractPackage(l))
}

// tesseractPackage is the Debian package of a Tesseract model.
func tesseractPackage(model string) string {
	return "tesseract-ocr-" + strings.ReplaceAll(model, "_", "-")
}

// scansWithoutOCR counts the scanned pages left unread because Tesseract
// is missing, for one warning per start or check instead of one per page.
type scansWithoutOCR struct {
	pages int
	files map[string]bool
	langs map[string]bool // languages of their publications
}

func (s scansWithoutOCR) message(err error) string {
	pkgs := []string{"tesseract-ocr"}
	for lang := range s.langs {
		if l := pdftext.TesseractLanguage(lang); l != "" && l != "eng" && !slices.Contains(pkgs, tesseractPackage(l)) {
			pkgs = append(pkgs, tesseractPackage(l))
		}
	}
	slices.Sort(pkgs[1:])
	return fmt.Sprintf("%d scanned pages in %d PDF files are not searchable: %v; install it, with the languages of these files, and start again: apt-get install %s",
		s.pages, len(s.files), err, strings.Join(pkgs, " "))
}

// meta is what each PDF says of itself, by path, for content.SetPDFInfo.
func (t pdfTexts) meta() map[string]content.PDFMeta {
	out := make(map[string]content.PDFMeta, len(t.docs))
	for p, d := range t.docs {
		out[p] = content.PDFMeta{Title: d.Title, Created: d.Created, Pages: d.NumPages()}
	}
	return out
}

// CheckPDFs reports the PDF attachments of cs that cannot be read or have
// no text layer, for archive check.
//
// It also lists the files whose scanned pages OCR read, with the pages and
// Tesseract's mean confidence, for staff to check against the scans.
func CheckPDFs(ctx context.Context, e *pdftext.Extractor, dir string, cs *content.Site) PDFCheck {
	out := extractPDFs(ctx, e, dir, cs, nil)
	c := PDFCheck{Problems: out.problems}
	for _, info := range out.infos {
		if info.NoText {
			c.Scans++
		} else if info.Err == "" {
			c.Text++
		}
	}
	var read []string
	for _, p := range slices.Sorted(maps.Keys(out.docs)) {
		var pages []string
		var conf float64
		for _, pg := range out.docs[p].Pages {
			if pg.OCR {
				pages = append(pages, strconv.Itoa(pg.Number))
				conf += pg.Confidence
			}
		}
		if len(pages) > 0 {
			read = append(read, fmt.Sprintf("%s: read by OCR: page %s, mean confidence %.0f%%", p, strings.Join(pages, ", "), conf/float64(len(pages))))
		}
	}
	c.OCRRead = read
	return c
}

// PDFCheck is what archive check says of the PDF attachments.
type PDFCheck struct {
	Problems content.Problems
	// OCRRead has a line for each file whose scanned pages OCR read.
	OCRRead []string
	// Text and Scans count the attachments with searchable text and those
	// with none (scans that OCR could not read).
	Text, Scans int
}

// writePDFs copies the PDF attachments of cs into a new temporary folder.
func writePDFs(cs *content.Site) (string, error) {
	tmp, err := os.MkdirTemp("", "archive-pdf")
	if err != nil {
		return "", err
	}
	for _, a := range cs.Attachments() {
		if !a.IsPDF() {
			continue
		}
		b, err := fs.ReadFile(cs.FS, a.Path)
		if err != nil {
			os.RemoveAll(tmp)
			return "", fmt.Errorf("read %s: %w", a.Path, err)
		}
		full := filepath.Join(tmp, filepath.FromSlash(a.Path))
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			os.RemoveAll(tmp)
			return "", err
		}
		if err := os.WriteFile(full, b, 0o600); err != nil {
			os.RemoveAll(tmp)
			return "", err
		}
	}
	return tmp, nil
}
