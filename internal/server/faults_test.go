//go:build unix

package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"archive/internal/archivetest"
)

// archiveBin is the real archive binary, built once for the test run.
func archiveBin(t *testing.T) string {
	t.Helper()
	testExtractor()
	return binPath
}

// served is a running `archive serve`, under the names these tests use.
type served struct {
	*archivetest.Server
	url    string
	cmd    *exec.Cmd
	logs   fmt.Stringer
	exited <-chan struct{}
}

type serverLog struct{ s *archivetest.Server }

func (l serverLog) String() string { return l.s.Log() }

// startServe starts `archive serve` on a free loopback port.
func startServe(t *testing.T, args ...string) *served { return startServeAs(t, nil, args...) }

// startServeAs is startServe as another user (nil: this one).
func startServeAs(t *testing.T, user *syscall.Credential, args ...string) *served {
	t.Helper()
	s, err := archivetest.Start(archivetest.Config{Bin: archiveBin(t), Args: args, Log: filepath.Join(t.TempDir(), "serve.log"), User: user})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	return &served{Server: s, cmd: s.Cmd, logs: serverLog{s}, exited: s.Exited}
}

// waitReady waits until /healthz says 200, or the process exits; it reports
// whether the site came up.
func (s *served) waitReady(t *testing.T, within time.Duration) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	_, err := s.WaitHealthy(ctx)
	if errors.Is(err, archivetest.ErrExited) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	s.url = s.URL
	return true
}

// exitCode waits for the process to end and returns its exit code.
func (s *served) exitCode(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-s.exited:
	case <-time.After(within):
		t.Fatalf("still running after %v:\n%s", within, s.logs)
	}
	var ee *exec.ExitError
	if errors.As(s.Err, &ee) {
		return ee.ExitCode()
	}
	if s.Err != nil {
		t.Fatal(s.Err)
	}
	return 0
}

// runCheck runs `archive check` and returns its exit code and output.
func runCheck(t *testing.T, args ...string) (int, string) { return runCheckAs(t, nil, args...) }

// runCheckAs is runCheck as another user (nil: this one).
func runCheckAs(t *testing.T, user *syscall.Credential, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(archiveBin(t), append([]string{"check"}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: user}
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

// writeTree writes files (path -> content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const goodReport = "---\ntitle: A good report\ndate: 2023-05-04\nattachments:\n  - file: report.pdf\n---\n\nIt reads well.\n"

// A JPEG's first bytes: what a PDF renamed from a photo starts with.
const jpegBytes = "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00C\x00\x08\x06\x06\x07\x06\x05\x08\x07\x07\x07\xff\xd9"

// TestStartupFaults starts the real binary on broken content folders: a
// broken publication stops the deploy with path:line, a bad attachment is a
// warning and the site runs with the file still downloadable, a folder that
// cannot be read is a clear message and exit 1.
func TestStartupFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		// content, when set, builds the folder and returns the -content flag.
		content func(t *testing.T, dir string) string
		// unprivileged runs the binary as nobody when the test runs as root,
		// which reads any folder whatever its mode.
		unprivileged bool
		runs         bool   // serve comes up
		want         string // in check's output and serve's log
		get          string // when runs: a URL that must answer 200 ...
		body         string // ... with this body
	}{
		{
			name: "missing folder",
			content: func(t *testing.T, dir string) string {
				return filepath.Join(dir, "no-such-folder")
			},
			want: "no such file or directory",
		},
		{
			name: "a file, not a folder",
			content: func(t *testing.T, dir string) string {
				writeTree(t, dir, map[string]string{"content": "x"})
				return filepath.Join(dir, "content")
			},
			want: "is not a folder",
		},
		{
			name: "folder that is a symlink loop",
			content: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "content")
				if err := os.Symlink(p, p); err != nil {
					t.Fatal(err)
				}
				return p
			},
			want: "too many levels of symbolic links",
		},
		{
			name:         "unreadable section",
			unprivileged: true,
			content: func(t *testing.T, dir string) string {
				writeTree(t, dir, map[string]string{"content/reports/a/index.md": goodReport, "content/reports/a/report.pdf": "%PDF-1.4\n"})
				p := filepath.Join(dir, "content", "reports")
				if err := os.Chmod(p, 0); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Chmod(p, 0o755) })
				return filepath.Join(dir, "content")
			},
			want: "reports: cannot read: permission denied",
		},
		{
			name: "Markdown that is not UTF-8",
			files: map[string]string{
				"reports/a/index.md":   goodReport,
				"reports/a/report.pdf": "%PDF-1.4\n",
				"reports/latin1.md":    "---\ntitle: Caf\xe9\ndate: 2023-01-01\n---\n",
			},
			want: "reports/latin1.md:2: not UTF-8 text",
		},
		{
			name: "broken front matter",
			files: map[string]string{
				"reports/a/index.md":   goodReport,
				"reports/a/report.pdf": "%PDF-1.4\n",
				"reports/b.md":         "---\ntitle: [unclosed\ndate: 2023-01-01\n---\n",
			},
			want: "reports/b.md:2:",
		},
		{
			name: "PDF of 0 bytes",
			files: map[string]string{
				"reports/a/index.md":   goodReport,
				"reports/a/report.pdf": "",
			},
			runs: true,
			want: "reports/a/report.pdf: warning: attachment is empty",
			get:  "/reports/a/report.pdf",
			body: "",
		},
		{
			name: "PDF renamed from a JPEG",
			files: map[string]string{
				"reports/a/index.md":   goodReport,
				"reports/a/report.pdf": jpegBytes,
			},
			runs: true,
			want: "reports/a/report.pdf: warning: PDF text cannot be read",
			get:  "/reports/a/report.pdf",
			body: jpegBytes,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			contentDir := filepath.Join(dir, "content")
			if tt.content != nil {
				contentDir = tt.content(t, dir)
			} else {
				writeTree(t, contentDir, tt.files)
			}

			var user *syscall.Credential
			if tt.unprivileged && os.Geteuid() == 0 {
				user = &syscall.Credential{Uid: nobody, Gid: nobody}
				openToAll(t, archiveBin(t), contentDir)
			}
			code, out := runCheckAs(t, user, "-content", contentDir)
			if wantCode := map[bool]int{true: 0, false: 1}[tt.runs]; code != wantCode {
				t.Errorf("check exit code %d, want %d\n%s", code, wantCode, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("check output lacks %q:\n%s", tt.want, out)
			}

			s := startServeAs(t, user, "-content", contentDir)
			if !tt.runs {
				if code := s.exitCode(t, 30*time.Second); code != 1 {
					t.Errorf("serve exit code %d, want 1", code)
				}
				if !strings.Contains(s.logs.String(), tt.want) {
					t.Errorf("serve says nothing of %q:\n%s", tt.want, s.logs)
				}
				return
			}
			if !s.waitReady(t, 30*time.Second) {
				t.Fatalf("serve exited; the site should run without the bad file:\n%s", s.logs)
			}
			// The server's log is buffered (flushed every 200 ms): wait for
			// the line rather than read it at once.
			logged := func() bool {
				l := s.logs.String()
				return strings.Contains(l, strings.ReplaceAll(tt.want, ": warning: ", "")) ||
					strings.Contains(l, strings.TrimPrefix(tt.want, "reports/a/report.pdf: warning: "))
			}
			for deadline := time.Now().Add(10 * time.Second); !logged() && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			if !logged() {
				t.Errorf("serve logs no warning naming the file (%q):\n%s", tt.want, s.logs)
			}
			for _, u := range []string{"/reports/a/", tt.get} {
				res, err := http.Get(s.url + u)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					t.Errorf("GET %s: %d", u, res.StatusCode)
				}
				if u == tt.get && string(b) != tt.body {
					t.Errorf("GET %s: %d bytes, want the file's %d", u, len(b), len(tt.body))
				}
			}
		})
	}
}

// nobody is the user a test running as root drops to.
const nobody = 65534

// openToAll lets any user reach the given files through the folders above
// them (temporary folders are private to their owner), so that a binary
// run as nobody can be run and can read what it should.
func openToAll(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		for dir := filepath.Dir(p); dir != "/" && dir != "."; dir = filepath.Dir(dir) {
			info, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm()&0o005 != 0o005 {
				if err := os.Chmod(dir, info.Mode().Perm()|0o005); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// TestTenThousandFiles: a content folder of 10,000 files (1,000 bundles of
// a page and nine attachments) loads, and the site comes up, in reasonable
// time. Rendering 10,000 publications is the benchmark's business (make
// bench); here it would cost too much of make test's time.
func TestTenThousandFiles(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("writes and serves 10,000 files")
	}
	dir := filepath.Join(t.TempDir(), "content")
	for i := range 1_000 {
		bundle := filepath.Join(dir, fmt.Sprintf("section-%02d", i%20), fmt.Sprintf("report-%05d", i))
		if err := os.MkdirAll(bundle, 0o755); err != nil {
			t.Fatal(err)
		}
		files := map[string]string{
			"index.md": fmt.Sprintf("---\ntitle: Report %d on detentions\ndate: 20%02d-%02d-%02d\ntags: [tag-%d, common]\nattachments: [annex-0.csv, annex-1.csv, annex-2.csv, annex-3.csv, annex-4.csv, annex-5.csv, annex-6.csv, annex-7.csv, annex-8.csv]\n---\n\nParagraph one of report %d names the %d cases.\n\n## Findings\n\nThe findings of report %d.\n",
				i, 10+i%14, 1+i%12, 1+i%28, i%50, i, i, i),
		}
		for j := range 9 {
			files[fmt.Sprintf("annex-%d.csv", j)] = fmt.Sprintf("case,country\n%d,HK\n", i*10+j)
		}
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(bundle, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	archiveBin(t) // built before the clock starts
	start := time.Now()
	code, out := runCheck(t, "-content", dir)
	checkTook := time.Since(start)
	if code != 0 || !strings.Contains(out, "1000 publications, ") || !strings.Contains(out, "; 0 errors") {
		t.Fatalf("check: exit %d\n%.2000s", code, out)
	}

	start = time.Now()
	s := startServe(t, "-content", dir)
	if !s.waitReady(t, 120*time.Second) {
		t.Fatalf("serve exited:\n%s", s.logs)
	}
	serveTook := time.Since(start)
	t.Logf("10,000 files: check %v, serve ready (pages and search index) %v", checkTook.Round(time.Millisecond), serveTook.Round(time.Millisecond))
	if checkTook > 30*time.Second || serveTook > 90*time.Second {
		t.Errorf("too slow: check %v (limit 30s), serve %v (limit 90s)", checkTook, serveTook)
	}
	for _, u := range []string{"/section-07/report-00007/", "/section-07/report-00007/annex-3.csv"} {
		res, err := http.Get(s.url + u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("GET %s: status %d", u, res.StatusCode)
		}
	}
}
