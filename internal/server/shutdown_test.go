//go:build unix

package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bigFileSize is larger than what loopback socket buffers hold (a few MB),
// so a slow reader keeps the download in flight in the server.
const bigFileSize = 32 << 20

// shutdownContent is a content folder with one large attachment.
func shutdownContent(t *testing.T) (dir string, sum [32]byte) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "content")
	writeTree(t, dir, map[string]string{
		"reports/a/index.md": "---\ntitle: A report with a large annex\ndate: 2023-05-04\nattachments:\n  - file: annex.zip\n---\n\nThe annex is large.\n",
	})
	data := make([]byte, bigFileSize)
	for i := range data {
		data[i] = byte(i*7 + i>>13)
	}
	if err := os.WriteFile(filepath.Join(dir, "reports", "a", "annex.zip"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, sha256.Sum256(data)
}

// slowClient reads through a small receive buffer, so that the server's
// writes block on it as they would on a slow Tor circuit.
func slowClient() *http.Client {
	d := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10)
		})
		return err
	}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableCompression: true}}
}

// TestGracefulShutdown: on SIGTERM the real binary stops taking
// connections at once, lets the requests in flight finish (a slow download
// and a stream of page reads), and exits 0 well within its grace period.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	dir, sum := shutdownContent(t)
	const grace = 15 * time.Second
	s := startServe(t, "-content", dir, "-grace", grace.String())
	if !s.waitReady(t, 60*time.Second) {
		t.Fatalf("serve exited:\n%s", s.logs)
	}

	// The slow download starts and reads its first bytes.
	res, err := slowClient().Get(s.url + "/reports/a/annex.zip")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	h := sha256.New()
	if _, err := io.CopyN(h, res.Body, 256<<10); err != nil {
		t.Fatal(err)
	}

	// Readers keep asking for pages while the signal arrives.
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, bad  int
		problems []string
	)
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 10 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := c.Get(s.url + "/reports/a/")
				if err != nil {
					continue // refused: expected once the server shuts down
				}
				b, err := io.ReadAll(r.Body)
				r.Body.Close()
				mu.Lock()
				if r.StatusCode == 200 && err == nil && bytes.Contains(b, []byte("</html>")) {
					ok++
				} else {
					bad++
					problems = append(problems, r.Status+" "+errString(err))
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)

	sent := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	// New connections are refused while the download is still going.
	refused := false
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(s.url, "http://"), time.Second)
		if err != nil {
			refused = true
			break
		}
		c.Close()
	}
	if !refused {
		t.Error("new connections still accepted 5s after SIGTERM")
	}
	// The download stalls a while: the process must wait for it.
	time.Sleep(500 * time.Millisecond)
	select {
	case <-s.exited:
		t.Fatalf("process exited with the download in flight:\n%s", s.logs)
	default:
	}
	close(stop)
	wg.Wait()

	// The download in flight completes, byte for byte.
	n, err := io.Copy(h, res.Body)
	if err != nil || n+256<<10 != bigFileSize {
		t.Errorf("download in flight cut short: %d of %d bytes, %v", n+256<<10, bigFileSize, err)
	} else if !bytes.Equal(h.Sum(nil), sum[:]) {
		t.Error("download in flight: bytes differ from the file")
	}

	code := s.exitCode(t, grace+5*time.Second)
	took := time.Since(sent)
	t.Logf("exit %d %v after SIGTERM; %d page reads completed during shutdown", code, took.Round(time.Millisecond), ok)
	if code != 0 {
		t.Errorf("exit code %d, want 0:\n%s", code, s.logs)
	}
	if took > grace {
		t.Errorf("exited %v after SIGTERM, past the %v grace period", took, grace)
	}
	if bad > 0 {
		t.Errorf("%d page reads failed during shutdown: %v", bad, problems)
	}
	if ok == 0 {
		t.Error("no page read completed; the test did not exercise shutdown under traffic")
	}
}

// TestShutdownGraceExpires: a client that stops reading cannot keep the
// process alive past the grace period.
func TestShutdownGraceExpires(t *testing.T) {
	t.Parallel()
	dir, _ := shutdownContent(t)
	const grace = 2 * time.Second
	s := startServe(t, "-content", dir, "-grace", grace.String())
	if !s.waitReady(t, 60*time.Second) {
		t.Fatalf("serve exited:\n%s", s.logs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.url+"/reports/a/annex.zip", nil)
	res, err := slowClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if _, err := io.CopyN(io.Discard, res.Body, 64<<10); err != nil {
		t.Fatal(err)
	}
	// ... and reads no more.
	sent := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code := s.exitCode(t, grace+10*time.Second)
	took := time.Since(sent)
	t.Logf("exit %d %v after SIGTERM with a stalled download", code, took.Round(time.Millisecond))
	if took < grace-200*time.Millisecond || took > grace+3*time.Second {
		t.Errorf("exited %v after SIGTERM; want about the %v grace period", took, grace)
	}
	if !strings.Contains(s.logs.String(), "shutting down") {
		t.Errorf("no shutdown logged:\n%s", s.logs)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
