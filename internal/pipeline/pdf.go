package pipeline

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"archive/internal/content"
	"archive/internal/pdftext"
	"archive/internal/site"
)

// pdfTexts is the text of every PDF attachment and what the pages show of it.
type pdfTexts struct {
	docs     map[string]*pdftext.Document // by attachment path
	infos    map[string]site.PDFInfo
	problems content.Problems
	// extracted files were read by child processes, with pages pages, in
	// child time altogether (see Timings).
	extracted, pages int
	child            time.Duration
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
	// one PDF under several publications) is read once: extraction is by
	// far the slowest step of a start.
	var paths []string               // one file per distinct content
	extracted := map[string]string{} // attachment path -> file extracted for it
	bySum := map[string]string{}
	for _, a := range cs.Attachments() {
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
		paths = append(paths, full)
	}
	if len(paths) == 0 {
		return out
	}
	last := time.Now()
	results := e.ExtractFiles(ctx, paths, func(done, total int) {
		if log != nil && (time.Since(last) > 2*time.Second || done == total) {
			last = time.Now()
			log.Info("extracting PDF text", "done", done, "total", total)
		}
	})
	counted := map[string]bool{}
	for _, a := range cs.Attachments() {
		full, ok := extracted[a.Path]
		if !ok {
			continue
		}
		p := a.Path
		r := results[full]
		if r.Child > 0 && r.Doc != nil && !counted[full] {
			counted[full] = true
			out.extracted++
			out.pages += r.Doc.NumPages()
			out.child += r.Child
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
			if info.NoText {
				out.problems = append(out.problems, content.Problem{Path: p, Warning: true,
					Message: fmt.Sprintf("PDF has no text layer (a scan?) on any of its %d pages: it cannot be searched; add an OCR text layer", info.Pages)})
			}
			for _, pg := range r.Doc.Pages {
				if pg.Err != "" {
					out.problems = append(out.problems, content.Problem{Path: p, Warning: true,
						Message: fmt.Sprintf("page %d: %s", pg.Number, pg.Err)})
				}
			}
		}
		out.infos[p] = info
	}
	return out
}

// CheckPDFs reports the PDF attachments of cs that cannot be read or have
// no text layer, for archive check.
func CheckPDFs(ctx context.Context, e *pdftext.Extractor, dir string, cs *content.Site) content.Problems {
	return extractPDFs(ctx, e, dir, cs, nil).problems
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
