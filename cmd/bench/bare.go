package main

import (
	"context"
	"encoding/gob"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

// The bare server is the yardstick for page throughput: a plain net/http
// server, in a process of its own as the archive is, that writes the bytes
// the archive answered for each page (headers and gzip body) from a map.
// Whatever the archive costs beyond it is routing, middleware, logging and
// lookups.

// barePage is one response the bare server repeats.
type barePage struct {
	Path   string
	Header http.Header
	Body   []byte
}

// fetchPages asks the archive for every path, as the load generator will
// (gzip accepted), and keeps the responses.
func fetchPages(ctx context.Context, addr string, paths []string) ([]barePage, error) {
	// DisableCompression: the body is kept as sent, gzip and all.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}}
	pages := make([]barePage, 0, len(paths))
	for _, p := range paths {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+p, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: status %d", p, resp.StatusCode)
		}
		h := resp.Header.Clone()
		h.Del("Date") // net/http writes its own
		pages = append(pages, barePage{Path: p, Header: h, Body: body})
	}
	return pages, nil
}

// bareProc is a running bare server.
type bareProc struct {
	cmd    *exec.Cmd
	addr   string
	exited chan struct{}
}

// startBare writes pages to a file and starts this program in -bare mode
// to serve them.
func startBare(ctx context.Context, self, pagesFile string, pages []barePage) (*bareProc, error) {
	f, err := os.Create(pagesFile)
	if err != nil {
		return nil, err
	}
	if err := gob.NewEncoder(f).Encode(pages); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-bare", "-addr", addr, "-pages", pagesFile)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start bare server: %w", err)
	}
	p := &bareProc{cmd: cmd, addr: addr, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	if err := waitHealthy(ctx, "http://"+addr+pages[0].Path, p.exited, time.Minute); err != nil {
		p.stop()
		return nil, fmt.Errorf("bare server: %w", err)
	}
	return p, nil
}

func (p *bareProc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

func (p *bareProc) pid() int { return p.cmd.Process.Pid }

// serveBare is the -bare mode: serve the pages in file on addr until
// SIGTERM.
func serveBare(addr, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	var pages []barePage
	err = gob.NewDecoder(f).Decode(&pages)
	f.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: bareHandler(pages)}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

func bareHandler(pages []barePage) http.Handler {
	byPath := make(map[string]*barePage, len(pages))
	for i := range pages {
		byPath[pages[i].Path] = &pages[i]
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := byPath[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		for k, v := range p.Header {
			h[k] = v
		}
		w.Write(p.Body)
	})
}
