package pdftext_test

import (
	"context"
	"os/exec"
	"slices"
	"testing"
	"time"

	"archive/internal/pdftext"
)

// benchFiles are the text-bearing corpus files pdftotext and we both read.
var benchFiles = []string{
	"tracemonkey.pdf", "multicolumn.pdf", "GeoTopo-komprimiert.pdf", "WaldenFull.pdf",
	"ctex.pdf", "TAMReview.pdf", "read.go.pdf", "issue16538.pdf",
}

// BenchmarkCorpus measures pages per second of ours and of pdftotext on the
// same files, and the median over files of our time per file divided by
// pdftotext's, both in process (Extract) and end to end (an Extractor child
// process, which is what the server runs and is comparable with pdftotext's
// own process).
//
//	go test -run XXX -bench Corpus ./internal/pdftext
func BenchmarkCorpus(b *testing.B) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		b.Skip("pdftotext not installed (poppler-utils)")
	}
	paths := make([]string, len(benchFiles))
	for i, f := range benchFiles {
		paths[i] = corpusFile(b, f)
	}
	ex := &pdftext.Extractor{Command: testCommand(), Parallel: 1, OCR: pdftext.OCRConfig{Off: true}}
	ours := make([]time.Duration, len(paths))
	child := make([]time.Duration, len(paths))
	ref := make([]time.Duration, len(paths))
	pages := 0
	b.ResetTimer()
	for b.Loop() {
		for i, p := range paths {
			start := time.Now()
			doc, err := pdftext.Extract(p)
			ours[i] += time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			pages += doc.NumPages()

			start = time.Now()
			if _, err := ex.ExtractFile(context.Background(), p); err != nil {
				b.Fatal(err)
			}
			child[i] += time.Since(start)

			start = time.Now()
			if err := exec.Command("pdftotext", "-q", p, "/dev/null").Run(); err != nil {
				b.Fatal(err)
			}
			ref[i] += time.Since(start)
		}
	}
	b.StopTimer()
	sum := func(ds []time.Duration) time.Duration {
		var t time.Duration
		for _, d := range ds {
			t += d
		}
		return t
	}
	medianRatio := func(num, den []time.Duration) float64 {
		r := make([]float64, len(num))
		for i := range num {
			r[i] = float64(num[i]) / float64(den[i])
		}
		slices.Sort(r)
		if len(r)%2 == 1 {
			return r[len(r)/2]
		}
		return (r[len(r)/2-1] + r[len(r)/2]) / 2
	}
	b.ReportMetric(float64(pages)/sum(ours).Seconds(), "ours-pages/s")
	b.ReportMetric(float64(pages)/sum(child).Seconds(), "child-pages/s")
	b.ReportMetric(float64(pages)/sum(ref).Seconds(), "pdftotext-pages/s")
	b.ReportMetric(medianRatio(ours, ref), "median-time-ratio")
	b.ReportMetric(medianRatio(child, ref), "median-child-time-ratio")
	for i, f := range benchFiles {
		b.Logf("%-26s ours %8v  child %8v  pdftotext %8v  ratio %.2f", f,
			(ours[i] / time.Duration(b.N)).Round(time.Millisecond),
			(child[i] / time.Duration(b.N)).Round(time.Millisecond),
			(ref[i] / time.Duration(b.N)).Round(time.Millisecond),
			float64(ours[i])/float64(ref[i]))
	}
}
