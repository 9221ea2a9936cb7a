// Command deploytest rehearses a deploy on loopback: replicas of one build
// behind nginx under load, one killed, then all rolled to a new build. It
// prints what readers saw in each phase and exits 1 if any request failed.
//
//	go run ./cmd/deploytest [-replicas 3] [-phase 10s] [-c 64] [-content DIR]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"archive/internal/archivetest"
	"archive/internal/deploytest"
)

func main() {
	replicas := flag.Int("replicas", 3, "replicas behind nginx (2 or 3)")
	phase := flag.Duration("phase", 10*time.Second, "length of each phase of load")
	conc := flag.Int("c", 64, "concurrent clients")
	contentDir := flag.String("content", "content", "content folder to build")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg := deploytest.Config{Content: *contentDir, NginxConf: "deploy/nginx.conf", Replicas: *replicas, Phase: *phase, Concurrency: *conc, Logger: log}
	if err := run(cfg); err != nil {
		log.Error("deploytest", "error", err)
		os.Exit(1)
	}
}

func run(cfg deploytest.Config) error {
	work, err := os.MkdirTemp("", "archive-deploytest")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin, err := archivetest.Binary()
	defer archivetest.RemoveBinary()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cfg.Archive, cfg.WorkDir = bin, work
	res, err := deploytest.Run(ctx, cfg)
	if res != nil {
		fmt.Printf("\n%d replicas behind nginx, %d clients, %v per phase\n", cfg.Replicas, cfg.Concurrency, cfg.Phase)
		res.Table(os.Stdout)
		for _, p := range res.Phases {
			if p.Failures() > 0 {
				err = errors.Join(err, fmt.Errorf("%s: %d requests failed", p.Name, p.Failures()))
			}
		}
		if !res.NewBuildServed {
			err = errors.Join(err, errors.New("not every replica serves the new build"))
		}
	}
	return err
}
