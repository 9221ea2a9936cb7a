// Package loadgen sends a weighted mix of HTTP requests to a server on
// loopback from many concurrent clients, and reports what came back: per
// kind of request, the count, statuses, transport errors and latency
// percentiles.
//
// It is the engine of `make loadtest` (cmd/loadtest) and of the short load
// test that runs in CI, and is meant for any harness that needs to put load
// on the archive: Run takes a base URL, a list of request kinds with weights
// and a generator for each, a concurrency and a duration. Discover builds the
// archive's own mix (pages, PDFs read with Range requests, searches) from a
// running server.
//
// It refuses any target that is not on loopback: it is a test tool, never a
// way to send traffic to someone else's machine.
//
// Each client is one goroutine with one keep-alive connection, sending its
// next request as soon as the previous response is read in full, so the
// figures are for a closed loop: latency is what a reader would wait,
// requests per second what the server sustains at that concurrency with the
// generator sharing its machine.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Request is one request to send.
type Request struct {
	Method string // GET when empty
	Path   string // path and query, beginning with "/"
	Header http.Header
}

// Kind is one kind of request in a mix.
type Kind struct {
	Name   string // its row in the report
	Weight int    // its share of the mix, relative to the others
	// Next returns the next request of this kind. It is called from many
	// goroutines, each with its own rnd.
	Next func(rnd *rand.Rand) Request
}

// Config says what load to send.
type Config struct {
	BaseURL     string // such as http://127.0.0.1:8080; loopback only
	Kinds       []Kind
	Concurrency int           // clients, each with its own connection
	Duration    time.Duration // how long to send; 0: until MaxRequests
	MaxRequests int           // stop after this many in all; 0: no limit
	Timeout     time.Duration // per request; default 30s
	Seed        uint64        // for the choice of requests; runs with one seed send the same mix
}

// RouteStats is what one kind of request met.
type RouteStats struct {
	Name     string
	Requests int // sent
	Errors   int // no response: refused, reset, timed out
	Status   map[int]int
	Bytes    int64 // body bytes read
	// Latency from sending the request to reading the last byte of the
	// body, over the requests that got a response.
	P50, P90, P99, Max time.Duration
}

// Count returns the responses with a status in [lo, hi].
func (s RouteStats) Count(lo, hi int) int {
	n := 0
	for code, c := range s.Status {
		if code >= lo && code <= hi {
			n += c
		}
	}
	return n
}

// Status5xx returns the responses with a 5xx status.
func (s RouteStats) Status5xx() int { return s.Count(500, 599) }

// Report is the outcome of a run.
type Report struct {
	Elapsed time.Duration
	Routes  []RouteStats // in the order of Config.Kinds
	Total   RouteStats
}

// RPS returns the requests per second of the run.
func (r Report) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Total.Requests) / r.Elapsed.Seconds()
}

// Route returns the stats of the named kind.
func (r Report) Route(name string) (RouteStats, bool) {
	for _, s := range r.Routes {
		if s.Name == name {
			return s, true
		}
	}
	return RouteStats{}, false
}

// sample is one request's outcome.
type sample struct {
	kind    int
	status  int // 0: transport error
	latency time.Duration
	bytes   int64
}

// Run sends cfg's mix until cfg.Duration has passed, cfg.MaxRequests were
// sent, or ctx is done, and reports what came back. The error is for a
// config that cannot run, never for what the server answered.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if err := checkLoopback(cfg.BaseURL); err != nil {
		return Report{}, err
	}
	if cfg.Concurrency <= 0 {
		return Report{}, errors.New("loadgen: concurrency must be at least 1")
	}
	if cfg.Duration <= 0 && cfg.MaxRequests <= 0 {
		return Report{}, errors.New("loadgen: set a duration or a number of requests")
	}
	var cum []int // cumulative weights, for picking a kind
	total := 0
	for _, k := range cfg.Kinds {
		if k.Weight < 0 || k.Next == nil {
			return Report{}, fmt.Errorf("loadgen: kind %q needs a weight >= 0 and a Next", k.Name)
		}
		total += k.Weight
		cum = append(cum, total)
	}
	if total == 0 {
		return Report{}, errors.New("loadgen: no kind of request has a weight")
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	base := strings.TrimSuffix(cfg.BaseURL, "/")
	tr := &http.Transport{
		MaxIdleConns:        cfg.Concurrency,
		MaxIdleConnsPerHost: cfg.Concurrency,
		MaxConnsPerHost:     cfg.Concurrency,
		IdleConnTimeout:     time.Minute,
		// Bodies are read as they come, compressed or not, as a browser
		// that sends Accept-Encoding would get them.
		DisableCompression: true,
		DialContext:        (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		Timeout:   timeout,
		// A redirect is an answer; following it would mix two routes.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	var (
		mu      sync.Mutex
		sent    int
		samples = make([][]sample, cfg.Concurrency)
		wg      sync.WaitGroup
	)
	// take reserves the next request of the run, if there is one.
	take := func() bool {
		if cfg.MaxRequests <= 0 {
			return true
		}
		mu.Lock()
		defer mu.Unlock()
		if sent >= cfg.MaxRequests {
			return false
		}
		sent++
		return true
	}
	start := time.Now()
	for c := range cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(cfg.Seed, uint64(c)))
			out := make([]sample, 0, 1024)
			for ctx.Err() == nil && take() {
				k, _ := slices.BinarySearch(cum, rnd.IntN(total)+1)
				s := do(ctx, client, base, cfg.Kinds[k].Next(rnd))
				if s.status == 0 && ctx.Err() != nil {
					break // cut short by the end of the run, not the server's fault
				}
				s.kind = k
				out = append(out, s)
			}
			samples[c] = out
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	return summarize(cfg.Kinds, samples, elapsed), nil
}

func do(ctx context.Context, client *http.Client, base string, r Request) sample {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, base+r.Path, nil)
	if err != nil {
		return sample{}
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", "archive-loadgen")
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return sample{latency: time.Since(start)}
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	s := sample{status: res.StatusCode, latency: time.Since(start), bytes: n}
	if err != nil {
		s.status = 0 // a body cut short is a failure, whatever the status said
	}
	return s
}

func summarize(kinds []Kind, perClient [][]sample, elapsed time.Duration) Report {
	rep := Report{Elapsed: elapsed}
	lat := make([][]time.Duration, len(kinds))
	var all []time.Duration
	rep.Routes = make([]RouteStats, len(kinds))
	for i, k := range kinds {
		rep.Routes[i] = RouteStats{Name: k.Name, Status: map[int]int{}}
	}
	rep.Total = RouteStats{Name: "all", Status: map[int]int{}}
	for _, ss := range perClient {
		for _, s := range ss {
			for _, r := range []*RouteStats{&rep.Routes[s.kind], &rep.Total} {
				r.Requests++
				r.Bytes += s.bytes
				if s.status == 0 {
					r.Errors++
				} else {
					r.Status[s.status]++
				}
			}
			if s.status != 0 {
				lat[s.kind] = append(lat[s.kind], s.latency)
				all = append(all, s.latency)
			}
		}
	}
	for i := range rep.Routes {
		setPercentiles(&rep.Routes[i], lat[i])
	}
	setPercentiles(&rep.Total, all)
	return rep
}

func setPercentiles(r *RouteStats, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r.P50, r.P90, r.P99, r.Max = Percentile(lat, 50), Percentile(lat, 90), Percentile(lat, 99), lat[len(lat)-1]
}

// Percentile returns the p-th percentile of sorted latencies, by the
// nearest-rank method.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

// checkLoopback refuses a target that is not on this machine.
func checkLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("loadgen: %q is not an http URL", base)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("loadgen: %s is not a loopback address; load is only ever sent to this machine (127.0.0.1, ::1)", host)
	}
	return nil
}

// WriteTable writes the report as a table, one row per kind and a total.
func (r Report) WriteTable(w io.Writer) {
	fmt.Fprintf(w, "%-20s %8s %8s %9s %9s %9s %9s %6s %6s %6s %6s  %s\n",
		"route", "requests", "req/s", "p50", "p90", "p99", "max", "2xx", "4xx", "5xx", "failed", "other statuses")
	secs := r.Elapsed.Seconds()
	for _, s := range append(slices.Clone(r.Routes), r.Total) {
		rate := 0.0
		if secs > 0 {
			rate = float64(s.Requests) / secs
		}
		var other []string
		for _, code := range slices.Sorted(maps.Keys(s.Status)) {
			if code != 200 {
				other = append(other, fmt.Sprintf("%d:%d", code, s.Status[code]))
			}
		}
		fmt.Fprintf(w, "%-20s %8d %8.1f %9s %9s %9s %9s %6d %6d %6d %6d  %s\n",
			s.Name, s.Requests, rate, ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max),
			s.Count(200, 299), s.Count(400, 499), s.Status5xx(), s.Errors, strings.Join(other, " "))
	}
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}
