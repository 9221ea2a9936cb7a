package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"archive/internal/content"
	"archive/internal/testcorpus"
)

// corpus is the content folder the benchmark serves.
type corpus struct {
	Dir                    string
	N, Articles, Sections  int
	PDFs                   int // publications with a PDF attached
	DistinctPDFs           []string
	MarkdownBytes, PDFSize int64
	URLs                   []string // of the publications
}

// writeCorpus makes dir a content folder of n publications: the Go blog's
// articles (shared/markdown/go-blog, read by package content as the
// archive reads them) copied into as many sections as it takes, blog-01,
// blog-02, …, and one publication in ten made a bundle with a PDF attached:
// the text-bearing PDFs of shared/pdf in turn, hard links where it can.
func writeCorpus(dir, shared string, n int) (*corpus, error) {
	blog := filepath.Join(shared, "markdown")
	cs, _, err := content.Load(os.DirFS(blog), content.Options{})
	if err != nil {
		return nil, err
	}
	var pubs []*content.Publication
	for _, p := range cs.Publications {
		if p.Section == "go-blog" {
			pubs = append(pubs, p)
		}
	}
	slices.SortFunc(pubs, func(a, b *content.Publication) int { return strings.Compare(a.Slug, b.Slug) })
	pdfs, err := testcorpus.TextPDFs(filepath.Join(shared, "pdf"))
	if err != nil {
		return nil, err
	}
	if len(pubs) == 0 {
		return nil, fmt.Errorf("no articles in %s/go-blog", blog)
	}
	c := &corpus{Dir: dir, N: n, Articles: len(pubs), Sections: (n + len(pubs) - 1) / len(pubs), DistinctPDFs: pdfs}
	for i := range n {
		p := pubs[i%len(pubs)]
		section := fmt.Sprintf("blog-%02d", i/len(pubs)+1)
		md, err := os.ReadFile(filepath.Join(blog, filepath.FromSlash(p.Source)))
		if err != nil {
			return nil, err
		}
		file := filepath.Join(dir, section, p.Slug+".md")
		if i%10 == 0 && bytes.HasPrefix(md, []byte("---\n")) {
			pdf := pdfs[c.PDFs%len(pdfs)]
			c.PDFs++
			file = filepath.Join(dir, section, p.Slug, "index.md")
			md = append([]byte("---\nattachments: ["+pdf+"]\n"), md[4:]...)
			size, err := linkOrCopy(filepath.Join(shared, "pdf", pdf), filepath.Join(dir, section, p.Slug, pdf))
			if err != nil {
				return nil, err
			}
			c.PDFSize += size
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(file, md, 0o644); err != nil {
			return nil, err
		}
		c.MarkdownBytes += int64(len(md))
		c.URLs = append(c.URLs, path.Join("/", section, p.Slug)+"/")
	}
	return c, nil
}

func linkOrCopy(src, dst string) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	info, err := os.Stat(src)
	if err != nil {
		return 0, err
	}
	if os.Link(src, dst) == nil { // the same bytes at no cost
		return info.Size(), nil
	}
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}
