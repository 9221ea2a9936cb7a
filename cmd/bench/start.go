package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// startResult is what one start of the archive measured.
type startResult struct {
	Ready time.Duration // from exec to the first /healthz 200
	// The server's own timings of its steps, from its log.
	Content, PDF, Render, Index, Total time.Duration
	PDFFiles, PDFPages                 int           // PDFs whose text was extracted (not read from the cache) and their pages
	PDFChildTime                       time.Duration // the extracting children's times, added up
	Mem                                memStatus
	// Cached is the time from ready until the server had saved its state
	// in the cache and switched to it, and Settled its memory then.
	Cached  time.Duration
	Settled memStatus
}

// archiveProc is a running `archive serve`.
type archiveProc struct {
	cmd     *exec.Cmd
	addr    string
	logPath string
	exited  chan struct{}
	waitErr error
}

// startArchive starts `archive serve` and waits until /healthz answers
// 200, then reads the step timings from its log and its memory from /proc.
// The log goes to a file, not a pipe, so that reading it costs the
// benchmark nothing while pages are loaded.
// source names what it serves: -content and -cache, or -from.
func startArchive(ctx context.Context, bin string, extra, source []string, workDir, logPath string, timeout time.Duration) (*archiveProc, startResult, error) {
	var res startResult
	addr, err := freeAddr()
	if err != nil {
		return nil, res, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, res, err
	}
	defer logf.Close()
	args := append([]string{"serve", "-addr", addr}, source...)
	args = append(args, extra...)
	cmd := exec.Command(bin, args...)
	// The working folder has no templates/ or static/, so the binary uses
	// the copies built into it, as it does when deployed.
	cmd.Dir = workDir
	cmd.Stdout, cmd.Stderr = logf, logf
	p := &archiveProc{cmd: cmd, addr: addr, logPath: logPath, exited: make(chan struct{})}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, res, fmt.Errorf("start archive: %w", err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	if err := waitHealthy(ctx, "http://"+addr+"/healthz", p.exited, timeout); err != nil {
		p.stop()
		return nil, res, fmt.Errorf("archive serve: %w\n%s", err, tail(logPath, 20))
	}
	res.Ready = time.Since(start)
	if res.Mem, err = readMem(cmd.Process.Pid); err != nil {
		p.stop()
		return nil, res, err
	}
	// /healthz turns 200 a moment before the "ready" line is written.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var done bool
		res, done, err = parseStartLog(logPath, res)
		if err != nil || done || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.stop()
		return nil, res, err
	}
	return p, res, nil
}

// waitStateCached waits until the server has saved its state in the cache
// (servers that do, after a start that loaded the content), so that the
// next start can use it and the memory measured is the server's steady one.
func (p *archiveProc) waitStateCached(ctx context.Context, res *startResult, timeout time.Duration) error {
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		b, err := os.ReadFile(p.logPath)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(`msg="state cached"`)) {
			res.Cached = time.Since(start)
			res.Settled, err = readMem(p.pid())
			return err
		}
		if bytes.Contains(b, []byte(`msg="cannot cache the state"`)) {
			return fmt.Errorf("the server could not cache its state:\n%s", tail(p.logPath, 5))
		}
		if time.Now().After(deadline) {
			return errors.New("the server did not cache its state in time")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.exited:
			return errors.New("the server exited")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and waits for the process, killing it if it takes
// longer than its grace period.
func (p *archiveProc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

func (p *archiveProc) pid() int { return p.cmd.Process.Pid }

// serveFlags are the flags the benchmark adds to `archive serve`: the
// per-client search rate limit is turned off when the binary has one,
// since the benchmark is a single client that searches back to back. The
// cap on concurrent searches stays as deployed.
func serveFlags(bin string) []string {
	out, _ := exec.Command(bin, "serve", "-h").CombinedOutput()
	if strings.Contains(string(out), "-search-rate") {
		return []string{"-search-rate", "0"}
	}
	return nil
}

// waitHealthy polls url every 10 ms until it answers 200.
func waitHealthy(ctx context.Context, url string, exited <-chan struct{}, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("exited before it was ready")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v", timeout)
		}
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// parseStartLog reads the step timings the server logs while it starts:
//
//	msg="content loaded" ... took=1.2s
//	msg="pdf text extracted" path=... pages=14 ...
//	msg="PDF text ready" files=100 took=3s
//	msg="pages rendered" pages=1200 took=800ms
//	msg=ready index_took=5s total=10s
//
// done is true once the "ready" line is there.
func parseStartLog(path string, res startResult) (startResult, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return res, false, err
	}
	defer f.Close()
	res.PDFFiles, res.PDFPages, res.PDFChildTime = 0, 0, 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		kv := parseLogLine(sc.Text())
		dur := func(k string) time.Duration {
			d, _ := time.ParseDuration(kv[k])
			return d
		}
		switch kv["msg"] {
		case "content loaded":
			res.Content = dur("took")
		case "pdf text extracted":
			res.PDFFiles++
			n, _ := strconv.Atoi(kv["pages"])
			res.PDFPages += n
			res.PDFChildTime += dur("elapsed")
		case "PDF text ready":
			res.PDF = dur("took")
		case "pages rendered", "pages opened":
			res.Render = dur("took")
		case "ready":
			res.Index, res.Total = dur("index_took"), dur("total")
			return res, true, nil
		}
	}
	return res, false, sc.Err()
}

// parseLogLine splits a log/slog text line into its keys and values,
// unquoting quoted values.
func parseLogLine(line string) map[string]string {
	kv := map[string]string{}
	for len(line) > 0 {
		line = strings.TrimLeft(line, " ")
		eq := strings.IndexByte(line, '=')
		if eq <= 0 {
			break
		}
		key := line[:eq]
		line = line[eq+1:]
		var val string
		if strings.HasPrefix(line, `"`) {
			end := 1
			for end < len(line) && line[end] != '"' {
				if line[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(line) {
				end = len(line) - 1
			}
			q := line[:end+1]
			line = line[end+1:]
			if u, err := strconv.Unquote(q); err == nil {
				val = u
			} else {
				val = strings.Trim(q, `"`)
			}
		} else {
			sp := strings.IndexByte(line, ' ')
			if sp < 0 {
				sp = len(line)
			}
			val, line = line[:sp], line[sp:]
		}
		kv[key] = val
	}
	return kv
}

// memStatus is a process's memory as /proc/<pid>/status reports it, in bytes.
type memStatus struct {
	RSS, Anon, File, Peak int64 // VmRSS, RssAnon, RssFile, VmHWM
}

func readMem(pid int) (memStatus, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return memStatus{}, fmt.Errorf("memory of process %d: %w", pid, err)
	}
	return parseMem(string(b)), nil
}

func parseMem(status string) memStatus {
	var m memStatus
	for _, line := range strings.Split(status, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		n <<= 10 // kB
		switch k {
		case "VmRSS":
			m.RSS = n
		case "RssAnon":
			m.Anon = n
		case "RssFile":
			m.File = n
		case "VmHWM":
			m.Peak = n
		}
	}
	return m
}

// tail returns the last n lines of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
