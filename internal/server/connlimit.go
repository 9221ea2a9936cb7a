package server

import (
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
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

	mu       sync.Mutex
	conns    map[net.Conn]*trackedConn
	networks map[netip.Prefix]*networkConns
	idle     idleList // longest idle first

	lastLog            time.Time
	refused, shortened int // since the last log line
}

type networkConns struct {
	key  netip.Prefix
	open int
	idle idleList // longest idle first
}

type trackedConn struct {
	conn    net.Conn
	network *networkConns // nil when not counted per network
	idle    bool          // in connLimiter.idle, and in network.idle
	// The links of the two idle lists: the list of every network's idle
	// connections (allIdle), and that of this connection's network.
	prev, next [2]*trackedConn
}

// The lists a connection may be on, as the indexes of its links.
const (
	allIdle = iota
	networkIdle
)

// idleList is a list of idle connections, linked through the connections
// themselves: a request moves its connection off the lists and back, and
// container/list would allocate an element each time.
type idleList struct {
	links       int // allIdle or networkIdle
	front, back *trackedConn
}

func (l *idleList) pushBack(tc *trackedConn) {
	tc.prev[l.links], tc.next[l.links] = l.back, nil
	if l.back != nil {
		l.back.next[l.links] = tc
	} else {
		l.front = tc
	}
	l.back = tc
}

func (l *idleList) remove(tc *trackedConn) {
	prev, next := tc.prev[l.links], tc.next[l.links]
	if prev != nil {
		prev.next[l.links] = next
	} else {
		l.front = next
	}
	if next != nil {
		next.prev[l.links] = prev
	} else {
		l.back = prev
	}
	tc.prev[l.links], tc.next[l.links] = nil, nil
}

// newConnLimiter reads the caps from cfg.
func newConnLimiter(cfg Config, log *slog.Logger) *connLimiter {
	l := &connLimiter{
		total:      cfg.MaxConns,
		perNetwork: cfg.MaxConnsPerNetwork,
		trusted:    cfg.TrustedProxies,
		log:        log,
		conns:      map[net.Conn]*trackedConn{},
		networks:   map[netip.Prefix]*networkConns{},
		idle:       idleList{links: allIdle},
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
		l.setIdle(c, false)
	case http.StateIdle:
		l.setIdle(c, true)
	case http.StateHijacked, http.StateClosed:
		// A hijacked connection is no longer the server's to close.
		l.mu.Lock()
		if tc := l.conns[c]; tc != nil {
			l.forget(tc)
		}
		l.mu.Unlock()
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
	case perNetwork && nc != nil && nc.open >= l.perNetwork:
		limit = "per network"
		victim = nc.idle.front
	case l.total > 0 && len(l.conns) >= l.total:
		limit = "total"
		victim = l.idle.front
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
		tc := &trackedConn{conn: c}
		if perNetwork {
			if nc == nil {
				nc = &networkConns{key: key, idle: idleList{links: networkIdle}}
				l.networks[key] = nc
			}
			nc.open++
			tc.network = nc
		}
		l.conns[c] = tc
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

// setIdle moves c onto or off the idle lists.
func (l *connLimiter) setIdle(c net.Conn, idle bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	tc := l.conns[c]
	if tc == nil || tc.idle == idle {
		return
	}
	if !idle {
		l.unidle(tc)
		return
	}
	tc.idle = true
	l.idle.pushBack(tc)
	if tc.network != nil {
		tc.network.idle.pushBack(tc)
	}
}

func (l *connLimiter) unidle(tc *trackedConn) {
	if !tc.idle {
		return
	}
	tc.idle = false
	l.idle.remove(tc)
	if tc.network != nil {
		tc.network.idle.remove(tc)
	}
}

// forget stops counting tc; its later states are ignored.
func (l *connLimiter) forget(tc *trackedConn) {
	l.unidle(tc)
	delete(l.conns, tc.conn)
	if nc := tc.network; nc != nil {
		nc.open--
		if nc.open == 0 {
			delete(l.networks, nc.key)
		}
	}
}

// closeNow closes c's descriptor at once: a TLS close_notify would wait on
// a client that does not read, in the accept loop.
func closeNow(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	c.Close()
}
