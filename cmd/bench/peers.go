package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The peers step builds the same articles with Hugo and indexes Hugo's
// output with Pagefind, the static site and client-side search an NGO would
// otherwise deploy, and starts the archive cold on the same folder, so that
// the three are measured side by side in one run on one machine. The
// corpus is the run's Markdown without its PDFs: Hugo and Pagefind read no
// PDF text, and the archive's PDF step is measured by the starts step.
//
// Hugo is Debian's package (hugo), Pagefind npm's (pagefind); the step is
// skipped, saying so, when either is missing. PAGEFIND may name the
// pagefind binary when it is not on PATH.
//
// The three run in turn, -runs times, and each round's ratio is the
// archive's time over that round's Hugo + Pagefind: on a machine whose
// speed moves (one run's Hugo + Pagefind took 33.7 s, another's 45.8 s on
// the same day), programs run minutes apart are not compared.

// peerRun is one program's run: its wall time and peak resident memory.
type peerRun struct {
	Took time.Duration
	Peak int64 // bytes, from the child's rusage
}

// peerReport is what the peers step measured, a value of each per round.
type peerReport struct {
	Skipped                string // why the step did not run, if it did not
	Articles               int
	Hugo, Pagefind         []peerRun
	HugoVersion, PFVersion string
	// Archive is the archive's cold start on the same folder with an empty
	// cache: Pages when its pages were served, Ready when search was too.
	Pages, Ready []time.Duration
	ArchivePeak  []int64
}

func (b *bench) peers(ctx context.Context) error {
	p := &peerReport{}
	b.r.Peers = p
	hugo, err := exec.LookPath("hugo")
	if err != nil {
		p.Skipped = "hugo is not installed (apt-get install hugo)"
		logf("peers: %s", p.Skipped)
		return nil
	}
	pagefind := os.Getenv("PAGEFIND")
	if pagefind == "" {
		if pagefind, err = exec.LookPath("pagefind"); err != nil {
			p.Skipped = "pagefind is not installed (npm install pagefind, then PAGEFIND=node_modules/.bin/pagefind)"
			logf("peers: %s", p.Skipped)
			return nil
		}
	}
	// "hugo v0.111.3+extended linux/amd64 …", "pagefind 1.6.0"
	p.HugoVersion = "Hugo " + strings.TrimPrefix(strings.Fields(firstLine(cmdOutput(hugo, "version")) + " ? ?")[1], "v")
	p.PFVersion = "Pagefind " + strings.Fields(firstLine(cmdOutput(pagefind, "--version")) + " ? ?")[1]

	site := filepath.Join(b.tmp, "hugo-site")
	if p.Articles, err = writeHugoSite(b.c.Dir, site); err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	defer os.RemoveAll(site)
	for i := 1; i <= b.runs; i++ {
		if err := b.peerRound(ctx, p, site, hugo, pagefind, i); err != nil {
			return err
		}
	}
	return nil
}

// peerRound runs Hugo, Pagefind and a cold start of the archive once each,
// every one from nothing: Hugo into an empty folder, the archive on an
// empty cache.
func (b *bench) peerRound(ctx context.Context, p *peerReport, site, hugo, pagefind string, round int) error {
	public := filepath.Join(site, "public")
	if err := os.RemoveAll(public); err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	logf("peers %d: Hugo builds %d articles", round, p.Articles)
	h, err := timed(ctx, site, hugo, "--quiet", "--destination", "public")
	if err != nil {
		return fmt.Errorf("peers: hugo: %w", err)
	}
	logf("peers %d: Pagefind indexes Hugo's output", round)
	pf, err := timed(ctx, site, pagefind, "--site", "public", "--silent")
	if err != nil {
		return fmt.Errorf("peers: pagefind: %w", err)
	}
	cache := filepath.Join(b.tmp, "peers-cache")
	defer os.RemoveAll(cache)
	s, st, err := b.serve(ctx, fmt.Sprintf("peers-archive-%d", round), append([]string{"-content", filepath.Join(site, "content"), "-cache", cache}, unlimited...)...)
	if err != nil {
		return err
	}
	s.Stop()
	p.Hugo, p.Pagefind = append(p.Hugo, h), append(p.Pagefind, pf)
	p.Ready, p.Pages, p.ArchivePeak = append(p.Ready, st.Ready), append(p.Pages, st.PagesReady), append(p.ArchivePeak, st.Mem.Peak)
	logf("peers %d: Hugo %s + Pagefind %s; the archive %s (pages at %s)", round, fmtDur(h.Took), fmtDur(pf.Took), fmtDur(st.Ready), fmtDur(st.PagesReady))
	return nil
}

// writeHugoSite lays out a Hugo site at dir whose content is every Markdown
// file of the corpus (bundles' index.md included, their PDFs not), with the
// least layout that renders each page, its section's paginated list and the
// home page, for Pagefind to index. It returns the number of articles.
func writeHugoSite(corpus, dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(corpus, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
			return err
		}
		rel, _ := filepath.Rel(corpus, path)
		md, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		// The attachments field names the PDFs, which are not copied.
		md = []byte(strings.Replace(string(md), "---\nattachments: [", "---\nx_attachments: [", 1))
		dst := filepath.Join(dir, "content", rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		n++
		return os.WriteFile(dst, md, 0o644)
	})
	if err != nil {
		return 0, err
	}
	files := map[string]string{
		"hugo.toml": "baseURL = \"http://127.0.0.1/\"\nlanguageCode = \"en\"\ntitle = \"Archive\"\n" +
			"[markup.goldmark.renderer]\nunsafe = true\n",
		"layouts/_default/baseof.html": "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{{ .Title }}</title></head>\n" +
			"<body><main>{{ block \"main\" . }}{{ end }}</main></body></html>\n",
		"layouts/_default/single.html": "{{ define \"main\" }}<article><h1>{{ .Title }}</h1>\n<p><time>{{ .Date.Format \"2 January 2006\" }}</time></p>\n{{ .Content }}</article>{{ end }}\n",
		"layouts/_default/list.html": "{{ define \"main\" }}<h1>{{ .Title }}</h1><ol>{{ range .Paginator.Pages }}<li><a href=\"{{ .RelPermalink }}\">{{ .Title }}</a> {{ .Summary }}</li>{{ end }}</ol>" +
			"{{ with .Paginator.Next }}<a href=\"{{ .URL }}\">Older</a>{{ end }}{{ end }}\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return 0, err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// timed runs a command in dir and reports its wall time and peak resident
// memory.
func timed(ctx context.Context, dir, name string, args ...string) (peerRun, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	flushWrites()
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		return peerRun{}, fmt.Errorf("%w\n%s", err, tail(out.String(), 2000))
	}
	r := peerRun{Took: took}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.Peak = ru.Maxrss << 10 // kilobytes on Linux
	} else {
		return r, errors.New("no rusage for the peak memory")
	}
	return r, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// markdown writes the peers' table for BENCHMARKS.md.
func (p *peerReport) markdown() string {
	if p == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n### Beside Hugo and Pagefind\n\n")
	if p.Skipped != "" {
		fmt.Fprintf(&b, "Not measured: %s.\n", p.Skipped)
		return b.String()
	}
	took := func(r peerRun) time.Duration { return r.Took }
	peak := func(r peerRun) int64 { return r.Peak }
	hugo, pf := field(p.Hugo, took), field(p.Pagefind, took)
	var both []time.Duration
	var ready, pages []float64 // each round's archive ÷ its peers
	for i := range hugo {
		both = append(both, hugo[i]+pf[i])
		ready = append(ready, p.Ready[i].Seconds()/both[i].Seconds())
		pages = append(pages, p.Pages[i].Seconds()/both[i].Seconds())
	}
	ratio := func(x float64) string { return fmt.Sprintf("%.2f", x) }
	fmt.Fprintf(&b, "The same %s Markdown files without their PDFs: %s builds them to disk with a minimal layout, %s indexes its output, "+
		"and the archive starts on the folder with an empty cache (`serve -content -cache`). The three run in turn, %d times; "+
		"a round's ratio is the archive's time over that round's Hugo + Pagefind.\n\n", thousands(p.Articles), p.HugoVersion, p.PFVersion, len(hugo))
	b.WriteString("| figure | Hugo | Pagefind | Hugo + Pagefind | the archive | archive ÷ peers | target |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	fmt.Fprintf(&b, "| time to a searchable site | %s | %s | %s | %s | %s | ≤ 0.50 |\n", spread(hugo, fmtDur), spread(pf, fmtDur), spread(both, fmtDur), spread(p.Ready, fmtDur), spread(ready, ratio))
	fmt.Fprintf(&b, "| … pages served, search getting ready (the first `/healthz` answer with `\"pages\": true`) | | | | %s | %s | ≤ 0.50 |\n", spread(p.Pages, fmtDur), spread(pages, ratio))
	fmt.Fprintf(&b, "| peak resident memory | %s | %s | | %s | | ≤ 1 GiB |\n", spread(field(p.Hugo, peak), fmtBytes), spread(field(p.Pagefind, peak), fmtBytes), spread(p.ArchivePeak, fmtBytes))
	return b.String()
}
