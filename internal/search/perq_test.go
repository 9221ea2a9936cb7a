package search_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"archive/internal/search"
)

func TestPerQuery(t *testing.T) {
	idx, _ := corpusIndex(t)
	qs := benchQueries
	if q := os.Getenv("Q"); q != "" {
		qs = []search.Request{{Query: q}}
	}
	n := 20
	if os.Getenv("N") != "" {
		n = 500
	}
	for _, req := range qs {
		idx.Search(context.Background(), req)
		start := time.Now()
		for range n {
			idx.Search(context.Background(), req)
		}
		res, _ := idx.Search(context.Background(), req)
		fmt.Printf("%8v %5d %s\n", time.Since(start)/time.Duration(n), res.Total, req.Query)
	}
}
