//go:build !linux

package search_test

import "time"

// threadCPUTime is zero where the thread's CPU time is not read: the
// benchmarks' CPU figures are Linux's only.
func threadCPUTime() time.Duration { return 0 }
