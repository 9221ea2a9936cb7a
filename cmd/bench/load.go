package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"
)

// A minimal HTTP/1.1 load generator. It writes requests prepared in
// advance and reads responses with a fixed buffer, so that on a machine of
// two cores it takes as little CPU as possible from the server it measures
// (Go's http.Client costs several times more per request). It speaks only
// what the archive's page responses need: Content-Length or chunked bodies,
// keep-alive.

// loadConfig says what to load.
type loadConfig struct {
	Addr     string   // host:port
	Paths    []string // cycled through; each connection starts at its own offset
	Conns    int
	Duration time.Duration
	Header   string // extra request header lines, each ending in \r\n
}

// loadResult is what a load run measured.
type loadResult struct {
	Requests int64 // answered with a status < 400
	Errors   int64 // transport errors and statuses >= 400
	Bytes    int64 // body bytes read
	Elapsed  time.Duration
	P50, P99 time.Duration
	Max      time.Duration
}

func (r loadResult) rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// runLoad keeps cfg.Conns connections busy for cfg.Duration, each sending
// its next request as soon as the previous response is read.
func runLoad(ctx context.Context, cfg loadConfig) (loadResult, error) {
	if len(cfg.Paths) == 0 || cfg.Conns <= 0 {
		return loadResult{}, errors.New("load: no paths or no connections")
	}
	reqs := make([][]byte, len(cfg.Paths))
	for i, p := range cfg.Paths {
		reqs[i] = []byte("GET " + p + " HTTP/1.1\r\nHost: " + cfg.Addr + "\r\nUser-Agent: archive-bench\r\n" + cfg.Header + "\r\n")
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	deadline, _ := ctx.Deadline()
	// over reports whether the run is over: an error then is the deadline
	// cutting a dial or a request short, not the server's fault.
	over := func() bool { return ctx.Err() != nil || !time.Now().Before(deadline) }
	type worker struct {
		lat                    []time.Duration
		requests, errs, nbytes int64
		firstErr               error
	}
	workers := make([]worker, cfg.Conns)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := &workers[w]
			wk.lat = make([]time.Duration, 0, 1<<14)
			next := w * len(reqs) / cfg.Conns
			var c *conn
			for ctx.Err() == nil {
				if c == nil {
					var err error
					if c, err = dial(ctx, cfg.Addr); err != nil {
						if !over() {
							wk.errs++
							if wk.firstErr == nil {
								wk.firstErr = err
							}
							time.Sleep(10 * time.Millisecond)
						}
						continue
					}
				}
				t0 := time.Now()
				status, n, keep, err := c.roundTrip(reqs[next%len(reqs)])
				d := time.Since(t0)
				next++
				if err != nil {
					c.close()
					c = nil
					if over() {
						break
					}
					wk.errs++
					if wk.firstErr == nil {
						wk.firstErr = err
					}
					continue
				}
				wk.nbytes += n
				if status >= 400 {
					wk.errs++
					if wk.firstErr == nil {
						wk.firstErr = fmt.Errorf("status %d", status)
					}
				} else {
					wk.requests++
					wk.lat = append(wk.lat, d)
				}
				if !keep {
					c.close()
					c = nil
				}
			}
			if c != nil {
				c.close()
			}
		}()
	}
	wg.Wait()
	res := loadResult{Elapsed: time.Since(start)}
	var all []time.Duration
	var firstErr error
	for _, wk := range workers {
		res.Requests += wk.requests
		res.Errors += wk.errs
		res.Bytes += wk.nbytes
		all = append(all, wk.lat...)
		if firstErr == nil {
			firstErr = wk.firstErr
		}
	}
	slices.Sort(all)
	res.P50, res.P99 = percentile(all, 0.50), percentile(all, 0.99)
	if len(all) > 0 {
		res.Max = all[len(all)-1]
	}
	if res.Requests == 0 {
		if firstErr == nil {
			firstErr = errors.New("no response")
		}
		return res, fmt.Errorf("load on %s: %w", cfg.Addr, firstErr)
	}
	if res.Errors > 0 && firstErr != nil {
		return res, fmt.Errorf("load on %s: %d errors, the first: %w", cfg.Addr, res.Errors, firstErr)
	}
	return res, nil
}

// percentile returns the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

type conn struct {
	nc net.Conn
	br *bufio.Reader
}

func dial(ctx context.Context, addr string) (*conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	// Stop a read that the deadline would otherwise leave blocked.
	deadline, _ := ctx.Deadline()
	nc.SetDeadline(deadline.Add(5 * time.Second))
	return &conn{nc: nc, br: bufio.NewReaderSize(nc, 64<<10)}, nil
}

func (c *conn) close() { c.nc.Close() }

// roundTrip writes one request and reads its response, discarding the
// body. It returns the status, the body length and whether the connection
// may be reused.
func (c *conn) roundTrip(req []byte) (status int, n int64, keep bool, err error) {
	if _, err := c.nc.Write(req); err != nil {
		return 0, 0, false, err
	}
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		return 0, 0, false, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, 0, false, fmt.Errorf("bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, 0, false, fmt.Errorf("bad status line %q", line)
	}
	length := int64(-1)
	chunked := false
	keep = true
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return 0, 0, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			length, err = strconv.ParseInt(string(value), 10, 64)
			if err != nil {
				return 0, 0, false, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case status == 304 || status == 204 || status/100 == 1:
		return status, 0, keep, nil
	case chunked:
		n, err = c.readChunked()
		return status, n, keep, err
	case length >= 0:
		d, err := c.br.Discard(int(length))
		return status, int64(d), keep, err
	default:
		// No length: the body runs to the end of the connection.
		n, err := io.Copy(io.Discard, c.br)
		return status, n, false, err
	}
}

func (c *conn) readChunked() (int64, error) {
	var total int64
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return total, err
		}
		sizeText, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		size, err := strconv.ParseInt(string(bytes.TrimSpace(sizeText)), 16, 64)
		if err != nil {
			return total, fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			// Trailers, then an empty line.
			for {
				line, err := c.br.ReadSlice('\n')
				if err != nil {
					return total, err
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					return total, nil
				}
			}
		}
		d, err := c.br.Discard(int(size))
		total += int64(d)
		if err != nil {
			return total, err
		}
		if _, err := c.br.Discard(2); err != nil { // CRLF after the chunk
			return total, err
		}
	}
}
