package search_test

import (
	"context"
	"os"
	"runtime/pprof"
	"testing"

	"archive/internal/content"
	"archive/internal/search"
)

func TestProfQuery(t *testing.T) {
	dir := os.Getenv("SCALE_DIR")
	if dir == "" {
		t.Skip()
	}
	cs, _, _ := content.Load(os.DirFS(dir), content.Options{})
	idx, err := search.Build(context.Background(), cs, nil, search.Options{CacheDir: "/tmp/search-scale-cache"})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	f, _ := os.Create("/tmp/q.prof")
	pprof.StartCPUProfile(f)
	defer pprof.StopCPUProfile()
	for range 200 {
		idx.Search(context.Background(), search.Request{Query: os.Getenv("Q")})
	}
}
