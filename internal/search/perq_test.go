package search_test

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestPerQuery(t *testing.T) {
	idx, _ := corpusIndex(t)
	for _, req := range benchQueries {
		idx.Search(context.Background(), req)
		start := time.Now()
		for range 20 {
			idx.Search(context.Background(), req)
		}
		res, _ := idx.Search(context.Background(), req)
		fmt.Printf("%8v %5d %s\n", time.Since(start)/20, res.Total, req.Query)
	}
}
