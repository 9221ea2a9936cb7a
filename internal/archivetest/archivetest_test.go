package archivetest_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"archive/internal/archivetest"
)

func TestMain(m *testing.M) {
	defer archivetest.RemoveBinary()
	m.Run()
}

// TestServe: the shipped content is served on loopback, /healthz's timings
// are read, and Stop ends the process with exit code 0.
func TestServe(t *testing.T) {
	bin, err := archivetest.Binary()
	if err != nil {
		t.Fatal(err)
	}
	s, h, err := archivetest.Serve(context.Background(), archivetest.Config{Bin: bin, Args: []string{"-content", "../../content"}, Log: filepath.Join(t.TempDir(), "log")}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || h.Status != "ok" || !h.Search || h.Timings.Source != "content" || h.Timings.Total <= 0 || h.Ready < h.Timings.Total || h.PagesReady <= 0 || h.PagesReady > h.Ready {
		t.Errorf("URL %s, health %+v", s.URL, h)
	}
	if m, err := s.Memory(); err != nil || m.RSS <= 0 || m.Peak < m.RSS {
		t.Errorf("memory %+v, %v", m, err)
	}
	s.Stop()
	if s.Cmd.ProcessState.ExitCode() != 0 || !strings.Contains(s.Log(), "msg=listening") {
		t.Errorf("exit %v, log:\n%s", s.Err, s.Log())
	}
}

// TestWaitHealthyExited: a server that cannot start says so at once, with
// its log.
func TestWaitHealthyExited(t *testing.T) {
	bin, err := archivetest.Binary()
	if err != nil {
		t.Fatal(err)
	}
	s, err := archivetest.Start(archivetest.Config{Bin: bin, Args: []string{"-content", "no-such-folder"}, Log: filepath.Join(t.TempDir(), "log")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.WaitHealthy(context.Background())
	if !errors.Is(err, archivetest.ErrExited) || !strings.Contains(err.Error(), "no-such-folder") {
		t.Errorf("WaitHealthy: %v", err)
	}
}

func TestStartOnlyLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":8080", "10.0.0.1:80", "example.com:80"} {
		if _, err := archivetest.Start(archivetest.Config{Bin: "/bin/true", Addr: addr, Log: filepath.Join(t.TempDir(), "log")}); err == nil {
			t.Errorf("Start on %s: no error", addr)
		}
	}
}
