// Command deploytest rehearses a deploy on loopback: replicas of one build
// behind nginx under load, one killed, then all rolled to a new build. It
// prints what readers saw in each phase and exits 1 if any request failed.
//
//	go run ./cmd/deploytest [-replicas 3] [-phase 10s] [-c 64] [-content DIR]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"archive/internal/deploytest"
)

func main() {
	replicas := flag.Int("replicas", 3, "replicas behind nginx (2 or 3)")
	phase := flag.Duration("phase", 10*time.Second, "length of each phase of load")
	conc := flag.Int("c", 64, "concurrent clients")
	contentDir := flag.String("content", "content", "content folder to build")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	work, err := os.MkdirTemp("", "archive-deploytest")
	if err != nil {
		log.Error("deploytest", "error", err)
		os.Exit(1)
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "archive")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/archive").CombinedOutput(); err != nil {
		log.Error("build", "error", err, "output", string(out))
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := deploytest.Run(ctx, deploytest.Config{
		Archive: bin, Content: *contentDir, NginxConf: "deploy/nginx.conf", WorkDir: work,
		Replicas: *replicas, Phase: *phase, Concurrency: *conc, Logger: log,
	})
	if res != nil {
		fmt.Printf("\n%d replicas behind nginx, %d clients, %v per phase\n", *replicas, *conc, *phase)
		res.Table(os.Stdout)
	}
	if err != nil {
		log.Error("deploytest", "error", err)
		os.Exit(1)
	}
	for _, p := range res.Phases {
		if p.Failures() > 0 || !res.NewBuildServed {
			os.Exit(1)
		}
	}
}
