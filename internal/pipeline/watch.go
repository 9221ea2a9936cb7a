package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"time"
)

// Watch loads again whenever a file of the content, templates or static
// folders changes, or a publishDate or expiryDate comes, until ctx ends,
// and tells reloaded how each reload went (a failed one publishes nothing:
// the last good State keeps serving). It polls (every interval) rather than
// using OS notifications, so it works the same on every system and on
// network file systems. Load records what it read, so a change made
// between Load and Watch is not missed.
func (p *Pipeline) Watch(ctx context.Context, interval time.Duration, publish func(*State), reloaded func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if p.fingerprint() == p.loadedFingerprint() && !p.scheduleDue() {
			continue
		}
		start := time.Now()
		_, err := p.Load(ctx, publish)
		if err != nil {
			p.log.Error("reload failed; still serving the last good version", "error", err)
		} else {
			p.log.Info("reloaded", "took", time.Since(start).Round(time.Millisecond))
		}
		reloaded(err)
	}
}

// RunSchedule loads again each time a publishDate or expiryDate comes, until
// ctx ends: an embargo ends, or a publication must come down, without any
// file changing. Watch does the same on its own. A State opened from a
// build cannot change; archive serve -from says when it is out of date.
func (p *Pipeline) RunSchedule(ctx context.Context, publish func(*State)) {
	const retry = time.Minute
	for {
		next := p.nextChange()
		if next.IsZero() {
			return
		}
		timer := time.NewTimer(max(time.Until(next), 0))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		p.log.Info("a publishDate or expiryDate has come; loading the content again")
		if _, err := p.Load(ctx, publish); err != nil {
			p.log.Error("scheduled reload failed; still serving the last good version", "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(retry):
			}
		}
	}
}

// nextChange is the last State's NextChange: when what it publishes changes.
func (p *Pipeline) nextChange() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.last == nil {
		return time.Time{}
	}
	return p.last.Site.Content.NextChange
}

func (p *Pipeline) scheduleDue() bool {
	next := p.nextChange()
	return !next.IsZero() && !time.Now().Before(next)
}

func (p *Pipeline) loadedFingerprint() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fp
}

func (p *Pipeline) fingerprint() string {
	return fingerprint(p.cfg.Content, p.cfg.Templates, p.cfg.Static)
}

// fingerprint summarises the names, sizes and times of every file.
func fingerprint(fsyss ...fs.FS) string {
	h := sha256.New()
	for i, fsys := range fsyss {
		fmt.Fprintf(h, "%d\n", i)
		_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			fmt.Fprintf(h, "%s %d %d\n", p, info.Size(), info.ModTime().UnixNano())
			return nil
		})
	}
	return hex.EncodeToString(h.Sum(nil))
}
