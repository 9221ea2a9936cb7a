// Package deploytest rehearses a deploy on this machine, on loopback only:
// one build served by several replicas behind nginx with the configuration
// in deploy/nginx.conf, under a mixed load, while one replica is killed and
// then every replica is restarted, one at a time, on a new build. It reports
// what readers saw in each phase: requests served, failures and latency.
//
// It is the engine of `make test-deploy` (cmd/deploytest) and of its short
// version in `make test`.
package deploytest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"archive/internal/loadgen"
)

// Config is a rehearsal.
type Config struct {
	Archive     string        // the archive binary
	Content     string        // content folder for the first build
	NginxConf   string        // deploy/nginx.conf
	WorkDir     string        // where builds, logs and nginx's files go
	Replicas    int           // 2 or 3
	Phase       time.Duration // how long each phase of load lasts
	Concurrency int
	Logger      *slog.Logger
}

// Phase is what readers saw while one thing happened.
type Phase struct {
	Name   string
	Report loadgen.Report
}

// Failures counts requests that got no answer or a 5xx.
func (p Phase) Failures() int { return p.Report.Total.Errors + p.Report.Total.Status5xx() }

// Result is the outcome of a rehearsal.
type Result struct {
	Phases []Phase
	// NewBuildServed is set when, after the rollout, every replica serves
	// the publication that only the new build has.
	NewBuildServed bool
}

// settle is how long a rollout waits between replicas: longer than nginx's
// fail_timeout for a replica.
const settle = 4 * time.Second

type replica struct {
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// Run rehearses the deploy. The error is for a rehearsal that could not be
// set up or carried out; what readers saw is in Result.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Replicas < 2 || cfg.Replicas > 3 {
		return nil, errors.New("deploytest: 2 or 3 replicas")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		return nil, fmt.Errorf("deploytest: nginx not found (install Debian's nginx package): %w", err)
	}

	// Two builds: the one serving, and a new one with one more publication.
	buildA := filepath.Join(cfg.WorkDir, "build-a")
	buildB := filepath.Join(cfg.WorkDir, "build-b")
	if err := runCmd(ctx, cfg.Archive, "build", "-content", cfg.Content, "-o", buildA); err != nil {
		return nil, err
	}
	contentB := filepath.Join(cfg.WorkDir, "content-b")
	if err := copyTree(cfg.Content, contentB); err != nil {
		return nil, err
	}
	newPub := filepath.Join(contentB, "letters", "rollout-check.md")
	if err := os.WriteFile(newPub, []byte("---\ntitle: Rollout check\ndate: 2030-01-01\n---\nOnly the new build has this publication.\n"), 0o644); err != nil {
		return nil, err
	}
	if err := runCmd(ctx, cfg.Archive, "build", "-content", contentB, "-o", buildB); err != nil {
		return nil, err
	}

	reps := make([]*replica, cfg.Replicas)
	defer func() {
		for _, r := range reps {
			if r != nil {
				r.stop(syscall.SIGKILL)
			}
		}
	}()
	for i := range reps {
		r, err := startReplica(ctx, cfg, buildA, 0, i)
		if err != nil {
			return nil, err
		}
		reps[i] = r
	}

	listen, err := freePort()
	if err != nil {
		return nil, err
	}
	stopNginx, err := startNginx(ctx, nginx, cfg, reps, listen)
	if err != nil {
		return nil, err
	}
	defer stopNginx()
	base := "http://127.0.0.1:" + strconv.Itoa(listen)
	if err := waitHealthy(ctx, base, 20*time.Second); err != nil {
		return nil, fmt.Errorf("deploytest: nginx: %w", err)
	}
	arch, err := loadgen.Discover(ctx, base, 50)
	if err != nil {
		return nil, fmt.Errorf("deploytest: %w", err)
	}
	load := func(name string, during func()) (Phase, error) {
		var wg sync.WaitGroup
		if during != nil {
			wg.Add(1)
			go func() { defer wg.Done(); during() }()
		}
		rep, err := loadgen.Run(ctx, loadgen.Config{BaseURL: base, Kinds: arch.Kinds(0), Concurrency: cfg.Concurrency, Duration: cfg.Phase, Seed: 1})
		wg.Wait()
		log.Info("phase done", "phase", name, "requests", rep.Total.Requests, "errors", rep.Total.Errors, "5xx", rep.Total.Status5xx(), "p99", rep.Total.P99)
		return Phase{Name: name, Report: rep}, err
	}
	res := &Result{}
	add := func(p Phase, err error) error {
		res.Phases = append(res.Phases, p)
		return err
	}

	if err := add(load("steady", nil)); err != nil {
		return res, err
	}
	if err := add(load("kill one replica", func() {
		time.Sleep(cfg.Phase / 4)
		log.Info("killing replica", "port", reps[0].port)
		reps[0].stop(syscall.SIGKILL)
	})); err != nil {
		return res, err
	}
	var rollErr error
	if err := add(load("rollout to a new build", func() {
		// The killed replica comes back on the new build, then the others
		// are replaced one at a time, each waiting for the last to be up.
		for i := range reps {
			if i > 0 {
				// nginx takes a replica that failed back only after its
				// fail_timeout (3 s in deploy/nginx.conf): wait for that
				// before taking the next one down, as a rollout script must.
				time.Sleep(settle)
				reps[i].stop(syscall.SIGTERM)
			}
			r, err := startReplica(ctx, cfg, buildB, reps[i].port, i)
			if err != nil {
				rollErr = err
				return
			}
			reps[i] = r
		}
	})); err != nil {
		return res, err
	}
	if rollErr != nil {
		return res, rollErr
	}
	res.NewBuildServed = true
	for _, r := range reps {
		code, err := status(ctx, "http://127.0.0.1:"+strconv.Itoa(r.port)+"/letters/rollout-check/")
		if err != nil || code != 200 {
			res.NewBuildServed = false
		}
	}
	return res, nil
}

func runCmd(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return nil
}

var listening = regexp.MustCompile(`msg=listening addr=http://127\.0\.0\.1:(\d+)`)

// startReplica starts archive serve -from build on port (0: any free port)
// and waits until it is healthy.
func startReplica(ctx context.Context, cfg Config, build string, port, i int) (*replica, error) {
	logf, err := os.OpenFile(filepath.Join(cfg.WorkDir, fmt.Sprintf("replica-%d.log", i)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(cfg.Archive, "serve", "-from", build, "-addr", "127.0.0.1:"+strconv.Itoa(port),
		// No search limits: the rehearsal counts what a deploy does to
		// readers, and the limits' 429 and 503 are tested elsewhere.
		"-trusted-proxies", "127.0.0.1/32", "-search-rate", "0", "-max-searches", "0", "-grace", "5s")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &replica{cmd: cmd, done: make(chan struct{})}
	portc := make(chan int, 1)
	go func() {
		defer logf.Close()
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			io.WriteString(logf, line+"\n")
			if m := listening.FindStringSubmatch(line); m != nil {
				p, _ := strconv.Atoi(m[1])
				portc <- p
			}
		}
	}()
	go func() { cmd.Wait(); close(r.done) }()
	select {
	case r.port = <-portc:
	case <-r.done:
		return nil, fmt.Errorf("deploytest: replica %d exited at start (see replica-%d.log)", i, i)
	case <-time.After(30 * time.Second):
		r.stop(syscall.SIGKILL)
		return nil, fmt.Errorf("deploytest: replica %d did not listen", i)
	}
	if err := waitHealthy(ctx, "http://127.0.0.1:"+strconv.Itoa(r.port), 60*time.Second); err != nil {
		r.stop(syscall.SIGKILL)
		return nil, fmt.Errorf("deploytest: replica %d: %w", i, err)
	}
	return r, nil
}

func (r *replica) stop(sig syscall.Signal) {
	r.cmd.Process.Signal(sig)
	select {
	case <-r.done:
	case <-time.After(15 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
	}
}

func startNginx(ctx context.Context, nginx string, cfg Config, reps []*replica, listen int) (func(), error) {
	prefix := filepath.Join(cfg.WorkDir, "nginx")
	cache := filepath.Join(prefix, "cache")
	for _, d := range []string{prefix, cache, filepath.Join(prefix, "tmp")} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			return nil, err
		}
		os.Chmod(d, 0o777) // nginx's workers may run as another user
	}
	// nginx's workers run as an unprivileged user: let them through the
	// temporary folders above the prefix (tests make them 0700).
	for d := prefix; strings.HasPrefix(d, os.TempDir()+string(filepath.Separator)); d = filepath.Dir(d) {
		if info, err := os.Stat(d); err == nil && info.Mode().Perm()&0o001 == 0 {
			os.Chmod(d, info.Mode().Perm()|0o011)
		}
	}
	site, err := os.ReadFile(cfg.NginxConf)
	if err != nil {
		return nil, err
	}
	ports := []string{strconv.Itoa(reps[0].port), strconv.Itoa(reps[1].port)}
	if len(reps) > 2 {
		ports = append(ports, strconv.Itoa(reps[2].port))
	}
	conf := string(site)
	conf = strings.ReplaceAll(conf, "__CACHE_DIR__", cache)
	conf = strings.ReplaceAll(conf, "__LISTEN_PORT__", strconv.Itoa(listen))
	for i := 1; i <= 3; i++ {
		ph := fmt.Sprintf("__PORT%d__", i)
		if i <= len(ports) {
			conf = strings.ReplaceAll(conf, ph, ports[i-1])
		} else {
			conf = regexp.MustCompile(`(?m)^.*`+ph+`.*\n`).ReplaceAllString(conf, "")
		}
	}
	if err := os.WriteFile(filepath.Join(prefix, "archive.conf"), []byte(conf), 0o644); err != nil {
		return nil, err
	}
	tmp := filepath.Join(prefix, "tmp")
	main := fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 1024; }
http {
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    default_type application/octet-stream;
    include %[1]s/archive.conf;
}
`, prefix, tmp)
	mainConf := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(mainConf, []byte(main), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(nginx, "-p", prefix, "-c", mainConf)
	out, err := os.Create(filepath.Join(prefix, "stderr.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("deploytest: nginx: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(done) }()
	return func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}, nil
}

func waitHealthy(ctx context.Context, base string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		code, err := status(ctx, base+"/healthz")
		if err == nil && code == 200 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s/healthz not 200 after %v (last: %d %v)", base, limit, code, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func status(ctx context.Context, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// Table writes the result as a table.
func (r *Result) Table(w io.Writer) {
	fmt.Fprintf(w, "%-26s %9s %8s %9s %9s %9s\n", "phase", "requests", "req/s", "failures", "p50", "p99")
	for _, p := range r.Phases {
		t := p.Report.Total
		fmt.Fprintf(w, "%-26s %9d %8.0f %9d %9s %9s\n", p.Name, t.Requests, p.Report.RPS(), p.Failures(),
			t.P50.Round(10*time.Microsecond), t.P99.Round(10*time.Microsecond))
	}
	fmt.Fprintf(w, "new build served by every replica after the rollout: %v\n", r.NewBuildServed)
}
