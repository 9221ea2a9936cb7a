// Package deploytest rehearses a deploy on this machine, on loopback only:
// one build served by several replicas behind nginx with the configuration
// in deploy/nginx.conf, under a mixed load (package wrk), while one replica
// is killed and then every replica is restarted, one at a time, on a new
// build. It reports what readers saw in each phase: requests served,
// failures and latency.
//
// It is the engine of `make test-deploy` (cmd/deploytest) and of its short
// version in `make test`.
package deploytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"archive/internal/archivetest"
	"archive/internal/wrk"
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
	Routes []wrk.Route
}

// Requests counts the requests answered in the phase.
func (p Phase) Requests() (n int64) {
	for _, r := range p.Routes {
		n += r.Requests
	}
	return n
}

// Failures counts requests that got no answer or a 5xx.
func (p Phase) Failures() (n int64) {
	for _, r := range p.Routes {
		n += r.Unanswered() + r.Count(500, 599)
	}
	return n
}

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
	if err := os.CopyFS(contentB, os.DirFS(cfg.Content)); err != nil {
		return nil, err
	}
	newPub := filepath.Join(contentB, "letters", "rollout-check.md")
	if err := os.WriteFile(newPub, []byte("---\ntitle: Rollout check\ndate: 2030-01-01\n---\nOnly the new build has this publication.\n"), 0o644); err != nil {
		return nil, err
	}
	if err := runCmd(ctx, cfg.Archive, "build", "-content", contentB, "-o", buildB); err != nil {
		return nil, err
	}

	reps := make([]*archivetest.Server, cfg.Replicas)
	defer func() {
		for _, r := range reps {
			if r != nil {
				r.Kill()
			}
		}
	}()
	for i := range reps {
		if reps[i], err = startReplica(ctx, cfg, buildA, "127.0.0.1:0", i); err != nil {
			return nil, err
		}
	}

	listen, err := freePort()
	if err != nil {
		return nil, err
	}
	stopNginx, err := startNginx(nginx, cfg, reps, listen)
	if err != nil {
		return nil, err
	}
	defer stopNginx()
	base := "http://127.0.0.1:" + strconv.Itoa(listen)
	if err := waitHealthy(ctx, base, 20*time.Second); err != nil {
		return nil, fmt.Errorf("deploytest: nginx: %w", err)
	}
	arch, err := wrk.Discover(ctx, base, 50)
	if err != nil {
		return nil, fmt.Errorf("deploytest: %w", err)
	}
	mix := arch.Readers(cfg.Concurrency, 0)
	res := &Result{}
	load := func(name string, during func() error) error {
		errc := make(chan error, 1)
		go func() { errc <- during() }()
		routes, err := wrk.RunMix(ctx, base, mix, cfg.Phase)
		p := Phase{name, routes}
		res.Phases = append(res.Phases, p)
		log.Info("phase done", "phase", name, "requests", p.Requests(), "failures", p.Failures())
		return errors.Join(err, <-errc)
	}

	if err := load("steady", func() error { return nil }); err != nil {
		return res, err
	}
	if err := load("kill one replica", func() error {
		time.Sleep(cfg.Phase / 4)
		log.Info("killing replica", "url", reps[0].URL)
		reps[0].Kill()
		return nil
	}); err != nil {
		return res, err
	}
	if err := load("rollout to a new build", func() error {
		// The killed replica comes back on the new build, then the others
		// are replaced one at a time, each waiting for the last to be up.
		for i := range reps {
			if i > 0 {
				// nginx takes a replica that failed back only after its
				// fail_timeout (3 s in deploy/nginx.conf): wait for that
				// before taking the next one down, as a rollout script must.
				time.Sleep(settle)
				reps[i].Stop()
			}
			u, _ := url.Parse(reps[i].URL)
			r, err := startReplica(ctx, cfg, buildB, u.Host, i)
			if err != nil {
				return err
			}
			reps[i] = r
		}
		return nil
	}); err != nil {
		return res, err
	}
	res.NewBuildServed = true
	for _, r := range reps {
		page, err := http.Get(r.URL + "/letters/rollout-check/")
		if err == nil {
			page.Body.Close()
		}
		res.NewBuildServed = res.NewBuildServed && err == nil && page.StatusCode == 200
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

// startReplica serves build on addr and waits until it is healthy.
func startReplica(ctx context.Context, cfg Config, build, addr string, i int) (*archivetest.Server, error) {
	s, _, err := archivetest.Serve(ctx, archivetest.Config{
		Bin: cfg.Archive, Addr: addr, Log: filepath.Join(cfg.WorkDir, fmt.Sprintf("replica-%d-%s.log", i, filepath.Base(build))),
		// No search limits: the rehearsal counts what a deploy does to
		// readers, and the limits' 429 and 503 are tested elsewhere.
		Args: []string{"-from", build, "-trusted-proxies", "127.0.0.1/32", "-search-rate", "0", "-max-searches", "0", "-grace", "5s"},
	}, time.Minute)
	if err != nil {
		return nil, fmt.Errorf("deploytest: replica %d: %w", i, err)
	}
	return s, nil
}

func startNginx(nginx string, cfg Config, reps []*archivetest.Server, listen int) (func(), error) {
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
	conf := strings.NewReplacer("__CACHE_DIR__", cache, "__LISTEN_PORT__", strconv.Itoa(listen)).Replace(string(site))
	for i := 1; i <= 3; i++ {
		ph := fmt.Sprintf("__PORT%d__", i)
		if i <= len(reps) {
			u, _ := url.Parse(reps[i-1].URL)
			conf = strings.ReplaceAll(conf, ph, u.Port())
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

// waitHealthy waits for base/healthz to answer 200.
func waitHealthy(ctx context.Context, base string, limit time.Duration) (err error) {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err = archivetest.Healthy(ctx, base); err == nil {
			return nil
		}
	}
	return err
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Table writes the result as a table, and each phase's routes.
func (r *Result) Table(w io.Writer) {
	fmt.Fprintf(w, "%-26s %9s %9s %9s %9s\n", "phase", "requests", "failures", "page p50", "page p99")
	for _, p := range r.Phases {
		page := p.Routes[0] // Readers puts pages first
		fmt.Fprintf(w, "%-26s %9d %9d %9s %9s\n", p.Name, p.Requests(), p.Failures(), page.P50.Round(10*time.Microsecond), page.P99.Round(10*time.Microsecond))
	}
	for _, p := range r.Phases {
		fmt.Fprintf(w, "\n%s:\n", p.Name)
		wrk.Table(w, p.Routes)
	}
	fmt.Fprintf(w, "\nnew build served by every replica after the rollout: %v\n", r.NewBuildServed)
}
