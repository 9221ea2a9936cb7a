package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// defaultMemoryLimit is the soft limit on the Go heap that serve and build
// set unless told otherwise. Without one the collector lets the heap grow
// to twice what is live, and a cold start of 10,000 publications peaked at
// several times its live memory; with it the collector works harder as the
// heap nears the limit instead. It is soft: a heap that needs more gets
// more, with more collections, rather than fail. What the limit does not
// count (the mapped pages file, the search index's segments being merged)
// adds up to 150 MiB at 10,000 publications, whose cold start is allowed
// 1 GB: at 896 MiB it peaked at 1,013 MiB, at 832 MiB at 942-962 MiB (just
// over 1 GB), at 768 MiB at 906 MiB and no slower. A cold start of 1,000
// peaks near 520 MiB, which the limit does not reach.
const defaultMemoryLimit = "768MiB"

// memoryLimitFlag adds -memory-limit to fl.
func memoryLimitFlag(fl *flag.FlagSet) *string {
	return fl.String("memory-limit", defaultMemoryLimit, "soft limit on the Go heap, as GOMEMLIMIT writes it (768MiB, 2GiB; off: none); GOMEMLIMIT, when set, is used unless this flag is given")
}

// applyMemoryLimit sets the soft memory limit the flag says, or leaves the
// one GOMEMLIMIT set when the flag was not given, and returns what it set
// (math.MaxInt64 for none) and where it came from.
func applyMemoryLimit(fl *flag.FlagSet, value string) (limit int64, from string, err error) {
	given := false
	fl.Visit(func(f *flag.Flag) { given = given || f.Name == "memory-limit" })
	if env := os.Getenv("GOMEMLIMIT"); env != "" && !given {
		// The runtime has read it already.
		return debug.SetMemoryLimit(-1), "GOMEMLIMIT", nil
	}
	limit, err = parseMemoryLimit(value)
	if err != nil {
		return 0, "", fmt.Errorf("-memory-limit: %w", err)
	}
	debug.SetMemoryLimit(limit)
	return limit, "-memory-limit", nil
}

// parseMemoryLimit reads a size as GOMEMLIMIT does (a number of bytes with
// an optional B, KiB, MiB, GiB or TiB), or "off".
func parseMemoryLimit(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return math.MaxInt64, nil
	}
	units := []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}
	shift := uint(0)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, shift = rest, u.shift
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("want a size such as 768MiB or 2GiB, or off")
	}
	if n > math.MaxInt64>>shift {
		return math.MaxInt64, nil
	}
	return n << shift, nil
}
