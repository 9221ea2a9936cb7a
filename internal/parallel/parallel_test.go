package parallel_test

import (
	"sync/atomic"
	"testing"

	"archive/internal/parallel"
)

func TestFor(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 1000} {
		calls := make([]atomic.Int32, n)
		parallel.For(n, func(i int) { calls[i].Add(1) })
		for i := range calls {
			if c := calls[i].Load(); c != 1 {
				t.Errorf("For(%d): fn(%d) called %d times, want once", n, i, c)
			}
		}
	}
}
