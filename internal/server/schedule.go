package server

import (
	"context"
	"time"
)

// A publishDate or expiryDate changes what is published without any file
// changing: an embargo ends, or a publication must come down. A server of
// a content folder loads it again at that moment; a build cannot, and says
// so when it starts (see archive serve -from).

// scheduleDue reports whether the time has come at which the served
// content's publishDates or expiryDates change what it publishes.
func (s *Server) scheduleDue() bool {
	st := s.state.Load()
	if st == nil {
		return false
	}
	next := st.site.Content.NextChange
	return !next.IsZero() && !time.Now().Before(next)
}

// RunSchedule loads the content again each time a publishDate or expiryDate
// comes, until ctx ends. Watch does the same on its own; call one or the
// other, never both, since loads must not overlap.
func (s *Server) RunSchedule(ctx context.Context) {
	const retry = time.Minute
	for {
		st := s.state.Load()
		if st == nil || st.site.Content.NextChange.IsZero() || s.cfg.Build != "" {
			return
		}
		wait := time.Until(st.site.Content.NextChange)
		timer := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		s.log.Info("a publishDate or expiryDate has come; loading the content again")
		if err := s.Load(ctx); err != nil {
			s.log.Error("scheduled reload failed; still serving the last good version", "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(retry):
			}
		}
	}
}
