//go:build !unix

package server

// descriptorLimit is a guess where there is no RLIMIT_NOFILE: handles are
// not the scarce resource there, memory is, and maxConns bounds that.
func descriptorLimit() int { return 2 * (maxConns + descriptorReserve) }
