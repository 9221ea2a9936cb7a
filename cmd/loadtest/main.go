// Command loadtest builds the archive, serves it on loopback and puts it
// under load with wrk: a mix of pages, PDFs read in Range requests and
// searches from 64 clients, first alone, then while 16 more flood search.
// It prints requests per second, latency and statuses per route and the
// server's memory before and after, and exits 1 when the server failed: a
// request unanswered or answered with an error outside what a flood may
// cost, or memory that kept growing.
//
//	go run ./cmd/loadtest [-duration 30s] [-clients 64] [-corpus] [-content DIR]
//
// Run it from the repository root (make loadtest). It sends traffic to
// 127.0.0.1 only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"archive/internal/archivetest"
	"archive/internal/wrk"
)

type options struct {
	duration time.Duration
	clients  int
	flood    int
	networks int
	content  string
	corpus   bool
	maxPages int
	serve    string
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "length of the two measured phases together")
	flag.IntVar(&o.clients, "clients", 64, "concurrent readers")
	flag.IntVar(&o.flood, "flood", 16, "concurrent clients of the search flood in the second phase")
	flag.IntVar(&o.networks, "readers", 4096, "client networks the readers' requests come from (X-Forwarded-For)")
	flag.StringVar(&o.content, "content", "content", "content folder to serve")
	flag.BoolVar(&o.corpus, "corpus", false, "also serve the go-blog Markdown of ../shared/corpus, as the section blog")
	flag.IntVar(&o.maxPages, "pages", 300, "pages read to find PDFs and phrases to search for")
	flag.StringVar(&o.serve, "serve-args", "", "more flags for archive serve, such as \"-max-searches 4\"")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	tmp, err := os.MkdirTemp("", "archive-loadtest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin, err := archivetest.Binary()
	defer archivetest.RemoveBinary()
	if err != nil {
		return err
	}
	contentDir := o.content
	if o.corpus {
		contentDir = filepath.Join(tmp, "content")
		if err := os.CopyFS(contentDir, os.DirFS(o.content)); err != nil {
			return fmt.Errorf("copy content: %w", err)
		}
		if err := os.CopyFS(filepath.Join(contentDir, "blog"), os.DirFS(filepath.Join("..", "shared", "corpus", "markdown", "go-blog"))); err != nil {
			return fmt.Errorf("copy the go-blog corpus: %w", err)
		}
	}
	srv, health, err := archivetest.Serve(ctx, archivetest.Config{
		Bin: bin, Log: filepath.Join(tmp, "server.log"),
		// The load speaks for many readers through X-Forwarded-For, as a
		// reverse proxy on the same machine would.
		Args: append([]string{"-content", contentDir, "-trusted-proxies", "127.0.0.1/32,::1/128"}, strings.Fields(o.serve)...),
	}, 5*time.Minute)
	if err != nil {
		return err
	}
	defer srv.Stop()
	fmt.Fprintf(out, "server pid %d at %s, ready after %v\n", srv.Cmd.Process.Pid, srv.URL, health.Ready.Round(time.Millisecond))

	a, err := wrk.Discover(ctx, srv.URL, o.maxPages)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "content: %d pages in the sitemap, %d PDFs, %d quotes to search for\n", len(a.Pages), len(a.PDFs), len(a.Quotes))
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(out, "machine: %d CPUs, load average %s; wrk runs on the same machine\n\n", runtime.NumCPU(), strings.Join(strings.Fields(string(load))[:3], " "))

	readers := a.Readers(o.clients, o.networks)
	phase := o.duration / 2
	// A short warm-up, so that the first phase measures a server that has
	// seen every route once.
	if _, err := wrk.RunMix(ctx, srv.URL, readers, min(2*time.Second, phase)); err != nil {
		return err
	}
	var mem [4]archivetest.Memory
	mem[0], _ = srv.Memory()
	halfway := make(chan archivetest.Memory, 1)
	time.AfterFunc(phase/2, func() { m, _ := srv.Memory(); halfway <- m })
	calm, err := wrk.RunMix(ctx, srv.URL, readers, phase)
	if err != nil {
		return err
	}
	mem[1] = <-halfway
	mem[2], _ = srv.Memory()

	var flood []wrk.Route
	floodDone := make(chan error, 1)
	go func() {
		var err error
		flood, err = wrk.RunMix(ctx, srv.URL, a.Flood(o.flood), phase)
		floodDone <- err
	}()
	flooded, err := wrk.RunMix(ctx, srv.URL, readers, phase)
	if err := errors.Join(err, <-floodDone); err != nil {
		return err
	}
	mem[3], _ = srv.Memory()

	fmt.Fprintf(out, "phase 1: %d readers, %v:\n", o.clients, phase)
	wrk.Table(out, calm)
	fmt.Fprintf(out, "\nphase 2: the same readers while %d clients flood search:\n", o.flood)
	wrk.Table(out, flooded)
	fmt.Fprintf(out, "\nthe flood (one client network, and a new network for every request):\n")
	wrk.Table(out, flood)
	fmt.Fprintf(out, "\nserver memory (from /proc/%d/status):\n", srv.Cmd.Process.Pid)
	for i, when := range []string{"before (after warm-up)", "halfway through phase 1", "after phase 1", "after phase 2"} {
		fmt.Fprintf(out, "  %-26s RSS %6.1f MB   peak %6.1f MB\n", when, float64(mem[i].RSS)/(1<<20), float64(mem[i].Peak)/(1<<20))
	}
	fmt.Fprintf(out, "\npage latency: p50 %v -> %v, p99 %v -> %v while search is flooded\n",
		calm[0].P50, flooded[0].P50, calm[0].P99, flooded[0].P99)

	if failures := verdict(calm, flooded, mem[1].RSS, mem[2].RSS); len(failures) > 0 {
		return errors.New("the server failed under load:\n  " + strings.Join(failures, "\n  "))
	}
	fmt.Fprintln(out, "ok: every request answered, no error status outside what the flood may cost, memory steady")
	return nil
}

// verdict lists what went wrong. Alone, every request must be answered
// with a 2xx. Under the flood, readers' searches may also be refused
// (429) or shed (503), by design; nothing else may change. Memory that
// grows under the same load, from the middle of phase 1 to its end, would
// keep growing.
func verdict(calm, flooded []wrk.Route, midRSS, endRSS int64) []string {
	var out []string
	check := func(phase string, routes []wrk.Route, shed bool) {
		for _, r := range routes {
			ok := r.Count(200, 299)
			if shed && strings.Contains(r.Name, "search") {
				ok += r.Statuses[429] + r.Statuses[503]
			}
			if r.Requests == 0 || r.Unanswered() > 0 || ok != r.Requests {
				out = append(out, fmt.Sprintf("%s: %s: %d requests, %d unanswered, statuses %v", phase, r.Name, r.Requests, r.Unanswered(), r.Statuses))
			}
		}
	}
	check("phase 1", calm, false)
	check("phase 2", flooded, true)
	if grow := endRSS - midRSS; grow > max(16<<20, midRSS/5) {
		out = append(out, fmt.Sprintf("memory grew %.1f MB under steady load", float64(grow)/(1<<20)))
	}
	return out
}
