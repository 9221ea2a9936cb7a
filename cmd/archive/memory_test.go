package main_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMemoryLimit starts serve with and without -memory-limit and
// GOMEMLIMIT, and reads the soft limit it says it set: the flag's default
// unless GOMEMLIMIT is set, GOMEMLIMIT unless the flag is given.
func TestMemoryLimit(t *testing.T) {
	tests := []struct {
		name string
		env  string
		args []string
		want string
	}{
		{"default", "", nil, "soft_limit_bytes=805306368 from=-memory-limit"},
		{"flag", "", []string{"-memory-limit", "2GiB"}, "soft_limit_bytes=2147483648 from=-memory-limit"},
		{"off", "", []string{"-memory-limit", "off"}, "soft_limit_bytes=9223372036854775807 from=-memory-limit"},
		{"GOMEMLIMIT", "300MiB", nil, "soft_limit_bytes=314572800 from=GOMEMLIMIT"},
		{"flag over GOMEMLIMIT", "300MiB", []string{"-memory-limit", "1000000000"}, "soft_limit_bytes=1000000000 from=-memory-limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "-addr", "127.0.0.1:0", "-content", "../../content"}, tt.args...)
			cmd := exec.Command(archive(t), args...)
			cmd.Env = append(os.Environ(), "GOMEMLIMIT="+tt.env)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Wait()
			defer cmd.Process.Kill()
			lines := make(chan string)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			timeout := time.After(30 * time.Second)
			for {
				select {
				case line, ok := <-lines:
					if !ok {
						t.Fatal("serve ended without saying its memory limit")
					}
					if strings.Contains(line, `msg="memory limit"`) {
						if !strings.Contains(line, tt.want) {
							t.Errorf("log: %s\nwant %s", line, tt.want)
						}
						return
					}
				case <-timeout:
					t.Fatal("serve did not say its memory limit within 30 s")
				}
			}
		})
	}
}

// TestMemoryLimitRefused gives -memory-limit what it does not read.
func TestMemoryLimitRefused(t *testing.T) {
	for _, v := range []string{"lots", "-1MiB", "0", "1.5GiB", "12MB"} {
		for _, cmd := range [][]string{{"serve", "-addr", "127.0.0.1:0"}, {"build", "-o", t.TempDir() + "/b"}} {
			_, stderr, code := run(t, append(cmd, "-memory-limit", v)...)
			if code != 2 || !strings.Contains(stderr, "-memory-limit") {
				t.Errorf("%s -memory-limit %s: exit %d, %q; want 2 and the flag named", cmd[0], v, code, stderr)
			}
		}
	}
}
