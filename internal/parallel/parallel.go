// Package parallel runs the iterations of a loop on all cores.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// For calls fn(i) for each i from 0 to n-1, on as many goroutines as there
// are cores, and returns once every call has. The iterations are handed
// out one at a time, so that a slow one holds up no other: parsing a long
// report, rendering a page of a thousand links.
func For(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}
