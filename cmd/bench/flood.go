package main

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"sync"
	"time"
)

// Readers' pages while one client floods highlighted pages (?hl=), against
// their pages while the same client floods plain ones: the per-client
// limit on highlighted pages must leave readers as fast as a flood of
// plain pages does.
const (
	targetFloodRatio = 0.8
	maxFloodPhase    = 5 * time.Second
	floodHighlight   = "the" // on every line of the corpus: the most marks a page gets
	floodClient      = "192.0.2.66"
	readersClient    = "198.51.100.7"
)

// floodResult is one round: the readers' load beside each flood.
type floodResult struct {
	BesidePlain, BesideHighlight loadResult
}

// measureHighlightFlood starts a server of the cache with the per-client
// limits as deployed (the other loads turn the search limit off) behind
// loopback as its trusted proxy, so that X-Forwarded-For makes the flood
// and the readers two client networks. Each round floods plain pages, then
// highlighted ones, from -conns connections, while readers load plain
// pages from as many.
func measureHighlightFlood(ctx context.Context, o options, s *setup, cache string, r *report) error {
	p, _, err := startArchive(ctx, s.bin, []string{"-trusted-proxies", "127.0.0.1/32"}, []string{"-content", s.corpus, "-cache", cache},
		s.tmp, filepath.Join(s.tmp, "flood.log"), o.startTimeout)
	if err != nil {
		return fmt.Errorf("highlight flood: %w", err)
	}
	defer p.stop()
	highlighted := make([]string, len(s.sum.URLs))
	for i, u := range s.sum.URLs {
		highlighted[i] = u + "?hl=" + url.QueryEscape(floodHighlight)
	}
	d := min(o.duration, maxFloodPhase)
	readers := loadConfig{Addr: p.addr, Paths: s.sum.URLs, Conns: o.conns, Duration: d,
		Header: "Accept-Encoding: gzip\r\nX-Forwarded-For: " + readersClient + "\r\n"}
	flood := readers
	flood.Header = "Accept-Encoding: gzip\r\nX-Forwarded-For: " + floodClient + "\r\n"
	beside := func(paths []string) (loadResult, error) {
		f := flood
		f.Paths = paths
		var wg sync.WaitGroup
		var floodErr error
		wg.Go(func() { _, floodErr = runLoad(ctx, f) })
		res, err := runLoad(ctx, readers)
		wg.Wait()
		if err == nil && floodErr != nil {
			err = fmt.Errorf("the flood: %w", floodErr)
		}
		return res, err
	}
	for i := 1; i <= o.runs; i++ {
		var round floodResult
		if round.BesidePlain, err = beside(s.sum.URLs); err != nil {
			return fmt.Errorf("highlight flood %d, plain pages: %w", i, err)
		}
		if round.BesideHighlight, err = beside(highlighted); err != nil {
			return fmt.Errorf("highlight flood %d, highlighted pages: %w", i, err)
		}
		r.Flood = append(r.Flood, round)
		logf("highlight flood %d: readers beside plain pages %s; beside ?hl= pages %s", i, loadOne(round.BesidePlain), loadOne(round.BesideHighlight))
	}
	return nil
}

// floodRow is the figure of the flood rounds for BENCHMARKS.md.
func (r *report) floodRow(row func(fig, target, measured, met string)) {
	if len(r.Flood) == 0 {
		return
	}
	var plain, hl []float64
	for _, f := range r.Flood {
		plain, hl = append(plain, f.BesidePlain.rate()), append(hl, f.BesideHighlight.rate())
	}
	ratio := 0.0
	if median(plain) > 0 {
		ratio = median(hl) / median(plain)
	}
	met := "yes"
	if ratio < targetFloodRatio {
		met = fmt.Sprintf("**no**: %.2f", ratio)
	}
	row(fmt.Sprintf("readers' pages while one client floods `?hl=` pages ÷ while it floods plain pages (%d + %d connections, %v each)", r.Conns, r.Conns, min(r.Duration, maxFloodPhase)),
		fmt.Sprintf("≥ %.2f", targetFloodRatio),
		fmt.Sprintf("%.2f (%s against %s req/s)", ratio, thousands(int64(median(hl))), thousands(int64(median(plain)))), met)
}
