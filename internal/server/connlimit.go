package server

import (
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Caps on open connections. Each one holds a file descriptor, and an idle
// keep-alive connection about 25 KB (its goroutine and buffers): without a
// cap, one client holding 20,000 idle connections ran the process out of
// descriptors (accept4: too many open files) and took half a gigabyte.
const (
	// DefaultMaxConnsPerNetwork is the share of one client network. A
	// browser opens six connections to a site; a /24 behind a carrier's
	// NAT, or a Tor exit, carries many readers, and their idle
	// connections make room for each other, so only connections all
	// busy at once count against it.
	DefaultMaxConnsPerNetwork = 256
	// maxConns bounds the total whatever the descriptor limit, so that
	// idle connections cost 100 MB at the most.
	maxConns = 4096
	// descriptorReserve is kept for what is not a connection: the log,
	// the cache, the pipes of PDF extraction.
	descriptorReserve = 256
	// connLogEvery spaces the log lines about capped connections, which
	// come in floods.
	connLogEvery = time.Minute
)

// DefaultMaxConns is the total cap for the process's descriptor limit
// (RLIMIT_NOFILE, raised to the hard limit when it can be): half of what
// the reserve leaves, since a connection that downloads an attachment
// holds the attachment's file open too.
func DefaultMaxConns() int {
	limit := descriptorLimit()
	return min(maxConns, (limit-min(descriptorReserve, limit/2))/2)
}

// connLimiter caps the connections open at once, in total and per client
// network, through the http.Server's ConnState hook. The hook for a new
// connection runs in the accept loop before the connection's goroutine
// starts, so every listener handed to Serve is covered, and a connection
// past a cap is closed before it costs more than its descriptor.
//
// Past a cap the longest-idle keep-alive connection is closed to make
// room (the newcomer's network's own first): a client must expect an idle
// connection to close and Go's and browsers' clients retry. Only when none
// is idle is the newcomer closed.
//
// Clients are told apart by the connection's peer, cut to its network: a
// listener cannot see X-Forwarded-For, so a trusted proxy's connections,
// which carry everyone's requests, count only in the total.
type connLimiter struct {
	total, perNetwork int // <= 0: no cap
	trusted           []netip.Prefix
	log               *slog.Logger

	// conns finds a connection's record without the lock: net/http reports
	// two states per request (active, then idle). Under a lock, moving the
	// connection onto and off lists of idle ones took 2 % of the CPU time
	// of a page load on two cores; now 0.8 %.
	conns sync.Map // net.Conn → *trackedConn
	// idleTurn numbers the moments connections go idle, so that the
	// smallest number is the longest idle.
	idleTurn atomic.Uint64

	mu       sync.Mutex
	open     []*trackedConn // every connection counted, in no order
	networks map[netip.Prefix]*networkConns

	lastLog            time.Time
	refused, shortened int // since the last log line
}

type networkConns struct {
	key   netip.Prefix
	conns []*trackedConn // in no order
}

type trackedConn struct {
	conn    net.Conn
	network *networkConns // nil when not counted per network
	// idleSince is the idleTurn at which the connection last went idle,
	// 0 while it is busy. Only the connection's own goroutine writes it.
	idleSince atomic.Uint64
	// The connection's places in connLimiter.open and network.conns,
	// under connLimiter.mu.
	at, networkAt int
}

// newConnLimiter reads the caps from cfg.
func newConnLimiter(cfg Config, log *slog.Logger) *connLimiter {
	l := &connLimiter{
		total:      cfg.MaxConns,
		perNetwork: cfg.MaxConnsPerNetwork,
		trusted:    cfg.TrustedProxies,
		log:        log,
		networks:   map[netip.Prefix]*networkConns{},
	}
	if l.total == 0 {
		l.total = DefaultMaxConns()
	}
	if l.perNetwork == 0 {
		l.perNetwork = DefaultMaxConnsPerNetwork
	}
	log.Info("connection caps", "total", l.total, "per_network", l.perNetwork)
	return l
}

// connState is the http.Server's ConnState hook.
func (l *connLimiter) connState(c net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		l.admit(c)
	case http.StateActive:
		if tc, ok := l.conns.Load(c); ok {
			tc.(*trackedConn).idleSince.Store(0)
		}
	case http.StateIdle:
		if tc, ok := l.conns.Load(c); ok {
			tc.(*trackedConn).idleSince.Store(l.idleTurn.Add(1))
		}
	case http.StateHijacked, http.StateClosed:
		// A hijacked connection is no longer the server's to close.
		if tc, ok := l.conns.Load(c); ok {
			l.mu.Lock()
			l.forget(tc.(*trackedConn))
			l.mu.Unlock()
		}
	}
}

// admit counts a new connection, closing an idle one to make room or, when
// none is idle, the newcomer.
func (l *connLimiter) admit(c net.Conn) {
	peer, ok := parseAddr(c.RemoteAddr().String())
	key := network(peer)
	perNetwork := l.perNetwork > 0 && ok && !isTrusted(peer, l.trusted)

	l.mu.Lock()
	var victim *trackedConn
	limit := "" // the cap reached, if any
	nc := l.networks[key]
	switch {
	case perNetwork && nc != nil && len(nc.conns) >= l.perNetwork:
		limit = "per network"
		victim = longestIdle(nc.conns)
	case l.total > 0 && len(l.open) >= l.total:
		limit = "total"
		victim = longestIdle(l.open)
	}
	if limit != "" {
		if victim != nil {
			l.forget(victim)
			l.shortened++
		} else {
			l.refused++
		}
	}
	admitted := limit == "" || victim != nil
	if admitted {
		tc := &trackedConn{conn: c, at: len(l.open)}
		l.open = append(l.open, tc)
		if perNetwork {
			if nc == nil {
				nc = &networkConns{key: key}
				l.networks[key] = nc
			}
			tc.network, tc.networkAt = nc, len(nc.conns)
			nc.conns = append(nc.conns, tc)
		}
		l.conns.Store(c, tc)
	}
	var logRefused, logShortened int
	if limit != "" && time.Since(l.lastLog) >= connLogEvery {
		l.lastLog = time.Now()
		logRefused, logShortened = l.refused, l.shortened
		l.refused, l.shortened = 0, 0
	}
	l.mu.Unlock()

	if victim != nil {
		closeNow(victim.conn)
	}
	if !admitted {
		closeNow(c)
	}
	if logRefused+logShortened > 0 {
		l.log.Warn("connections capped", "network", key.String(), "cap", limit,
			"idle_closed", logShortened, "refused", logRefused, "log_every", connLogEvery)
	}
}

// longestIdle is the connection of conns idle the longest, nil when none
// is idle. It reads every one, but only when a cap is reached: at most
// maxConns, a few microseconds.
func longestIdle(conns []*trackedConn) *trackedConn {
	var oldest *trackedConn
	var since uint64
	for _, tc := range conns {
		if t := tc.idleSince.Load(); t != 0 && (oldest == nil || t < since) {
			oldest, since = tc, t
		}
	}
	return oldest
}

// forget stops counting tc; its later states are ignored. The caller
// holds l.mu.
func (l *connLimiter) forget(tc *trackedConn) {
	if _, ok := l.conns.LoadAndDelete(tc.conn); !ok {
		return // forgotten already: closed to make room, then closed
	}
	l.open = removeAt(l.open, tc.at, func(moved *trackedConn) { moved.at = tc.at })
	if nc := tc.network; nc != nil {
		nc.conns = removeAt(nc.conns, tc.networkAt, func(moved *trackedConn) { moved.networkAt = tc.networkAt })
		if len(nc.conns) == 0 {
			delete(l.networks, nc.key)
		}
	}
}

// removeAt removes conns[i], moving the last element into its place and
// telling moved so.
func removeAt(conns []*trackedConn, i int, moved func(*trackedConn)) []*trackedConn {
	last := len(conns) - 1
	if i != last {
		conns[i] = conns[last]
		moved(conns[i])
	}
	conns[last] = nil
	return conns[:last]
}

// closeNow closes c's descriptor at once: a TLS close_notify would wait on
// a client that does not read, in the accept loop.
func closeNow(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	c.Close()
}
