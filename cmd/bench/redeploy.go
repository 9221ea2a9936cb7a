package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"archive/internal/archivetest"
)

// redeploy measures issue 17's start: a redeploy that adds one publication
// to the corpus and starts `serve -content -cache` on the cache the start
// before left, to /healthz 200 (pages and search). It first makes that
// cache with a cold start, then adds a publication -runs times, each start
// on the cache of the one before, as deploys follow each other. Each added
// publication must be served and found before the start counts.
func (b *bench) redeploy(ctx context.Context) error {
	cache := filepath.Join(b.tmp, "cache-redeploy")
	os.RemoveAll(cache)
	defer os.RemoveAll(cache)
	args := append([]string{"-content", b.c.Dir, "-cache", cache}, unlimited...)
	s, _, err := b.serve(ctx, "redeploy-cold", args...)
	if err != nil {
		return err
	}
	err = waitStateCached(ctx, s.URL)
	s.Stop()
	if err != nil {
		return err
	}
	var added []string
	defer func() {
		for _, f := range added { // the corpus stays as the other steps know it
			os.RemoveAll(f)
		}
	}()
	section := filepath.Join(b.c.Dir, "blog-01")
	for i := 1; i <= b.runs; i++ {
		word := fmt.Sprintf("redeployedword%d", i)
		file := filepath.Join(section, fmt.Sprintf("redeployed-%d.md", i))
		// Dated today: the newest publication moves every page of the home
		// page's list, as a real one does.
		md := fmt.Sprintf("---\ntitle: Redeployed %d\ndate: %s\ntags: [redeploy]\n---\n\nA publication added by a deploy, with the word %s.\n",
			i, time.Now().Format(time.DateOnly), word)
		if err := os.WriteFile(file, []byte(md), 0o644); err != nil {
			return err
		}
		added = append(added, file)
		s, st, err := b.serve(ctx, fmt.Sprintf("redeploy-%d", i), args...)
		if err != nil {
			return err
		}
		err = checkRedeployed(ctx, s.URL, fmt.Sprintf("/blog-01/redeployed-%d/", i), word)
		if err == nil {
			// The next deploy starts from the state this one caches.
			err = waitStateCached(ctx, s.URL)
		}
		s.Stop()
		if err != nil {
			return fmt.Errorf("redeploy %d: %w", i, err)
		}
		logf("redeploy %d (one publication added): ready in %s", i, fmtDur(st.Ready))
		b.r.Redeploy = append(b.r.Redeploy, st)
	}
	return nil
}

// waitStateCached waits until the server at base serves the state it
// cached, so that the next start finds it.
func waitStateCached(ctx context.Context, base string) error {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		h, err := archivetest.Healthy(ctx, base)
		if err == nil && h.Timings.Source == "state" {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the server at %s did not switch to the state it cached", base)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkRedeployed fails unless the added publication is served at path and
// a search for word finds it.
func checkRedeployed(ctx context.Context, base, path, word string) error {
	if _, status, err := fetch(ctx, base+path); err != nil || status != http.StatusOK {
		return fmt.Errorf("GET %s: %d %v", path, status, err)
	}
	body, status, err := fetch(ctx, base+"/api/search?q="+word)
	if err != nil || status != http.StatusOK || !strings.Contains(body, path) {
		return fmt.Errorf("search for %s does not find %s: %d %v %.300s", word, path, status, err, body)
	}
	return nil
}

func fetch(ctx context.Context, u string) (string, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), res.StatusCode, err
}
