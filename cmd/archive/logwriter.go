package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logWriter buffers log lines and writes them out every interval, when the
// buffer fills, and on Close. Under a flood of failing requests the access
// log is a line per request; a write system call for each was a third of
// the server's own CPU per page in the benchmark's profile, when every
// request was logged.
type logWriter struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

func newLogWriter(w io.Writer, interval time.Duration) *logWriter {
	lw := &logWriter{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(lw.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				lw.flush()
			case <-lw.stop:
				lw.flush()
				return
			}
		}
	}()
	return lw
}

func (lw *logWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.w.Write(p)
}

func (lw *logWriter) flush() {
	lw.mu.Lock()
	lw.w.Flush()
	lw.mu.Unlock()
}

// Close writes out what is buffered and stops the timer.
func (lw *logWriter) Close() error {
	close(lw.stop)
	<-lw.done
	return nil
}
