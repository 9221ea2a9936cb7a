package server_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"archive/internal/server"
)

// Loopback addresses the server tells apart as clients: Linux answers on
// all of 127/8, and the server keys clients by /24.
const (
	clientA = "127.0.0.1"
	clientB = "127.0.1.1"
	clientC = "127.0.2.1"
)

// liveServer is the real http.Server on 127.0.0.1, with the state of each
// connection as the server last saw it, keyed by the client's address.
type liveServer struct {
	addr string
	logs *logBuffer

	mu     sync.Mutex
	states map[string]http.ConnState
}

// startLive starts the real server with cfg's limits.
func startLive(t *testing.T, cfg server.Config) *liveServer {
	t.Helper()
	s, logs := loggedServer(t, cfg)
	ls := &liveServer{logs: logs, states: map[string]http.ConnState{}}
	hs := server.NewHTTPServer(s)
	limiter := hs.ConnState
	hs.ConnState = func(c net.Conn, st http.ConnState) {
		limiter(c, st)
		ls.mu.Lock()
		ls.states[c.RemoteAddr().String()] = st
		ls.mu.Unlock()
	}
	ts := httptest.NewUnstartedServer(s)
	ts.Config = hs
	ts.Start()
	t.Cleanup(ts.Close)
	ls.addr = ts.Listener.Addr().String()
	return ls
}

// waitState waits until the server has seen c in state st, which means its
// own hook has run for it.
func (ls *liveServer) waitState(t *testing.T, c net.Conn, st http.ConnState) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		ls.mu.Lock()
		got, ok := ls.states[c.LocalAddr().String()]
		ls.mu.Unlock()
		if ok && got == st {
			return
		}
	}
	t.Fatalf("connection from %s never %v", c.LocalAddr(), st)
}

// dial connects from the loopback address src.
func (ls *liveServer) dial(t *testing.T, src string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", ls.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// holdIdle opens a keep-alive connection from src, makes one request on
// it and leaves it idle.
func (ls *liveServer) holdIdle(t *testing.T, src string) net.Conn {
	t.Helper()
	c := ls.dial(t, src)
	if status, _, err := sendRaw(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil || status != 200 {
		t.Fatalf("held connection from %s: status %d, %v", src, status, err)
	}
	ls.waitState(t, c, http.StateIdle)
	return c
}

// holdSilent opens a connection from src that sends nothing: busy, not
// idle, until ReadHeaderTimeout (5 s) cuts it.
func (ls *liveServer) holdSilent(t *testing.T, src string) net.Conn {
	t.Helper()
	c := ls.dial(t, src)
	ls.waitState(t, c, http.StateNew)
	return c
}

// read asks for a page from src on a new connection; it returns an error
// when the server closed the connection without an answer.
func (ls *liveServer) read(t *testing.T, src string) error {
	t.Helper()
	status, body, err := sendRaw(ls.dial(t, src), "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if err != nil {
		return err
	}
	if status != 200 || !strings.Contains(body, "</html>") {
		t.Fatalf("reader from %s: status %d\n%.300s", src, status, body)
	}
	return nil
}

// sendRaw writes a raw request on c and reads the answer.
func sendRaw(c net.Conn, raw string) (status int, body string, err error) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, raw); err != nil {
		return 0, "", err
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, "", err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	return res.StatusCode, string(b), err
}

// closedByServer reports whether the server has closed c. The server closes
// a connection in its accept loop, before the caller waits on it, so an
// open connection is one that stays silent a moment.
func closedByServer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// checkOpen fails unless exactly the connections marked closed were
// closed by the server.
func checkOpen(t *testing.T, conns map[string]net.Conn, closed ...string) {
	t.Helper()
	for name, c := range conns {
		want := false
		for _, n := range closed {
			want = want || n == name
		}
		if got := closedByServer(c); got != want {
			t.Errorf("connection %s: closed by the server %v, want %v", name, got, want)
		}
	}
}

// TestConnCapPerNetwork: one client holding many idle connections keeps
// only its share, its own oldest idle ones closing to make room, and
// readers from its network and from another are served. The log names the
// network, not the address, and not once per connection.
func TestConnCapPerNetwork(t *testing.T) {
	t.Parallel()
	const share = 4
	ls := startLive(t, server.Config{MaxConnsPerNetwork: share, MaxConns: 64})
	held := map[string]net.Conn{}
	var closed []string
	for i := range 3 * share {
		held[fmt.Sprint(i)] = ls.holdIdle(t, clientA)
		if i >= share {
			closed = append(closed, fmt.Sprint(i-share))
		}
	}
	checkOpen(t, held, closed...)

	if err := ls.read(t, clientA); err != nil {
		t.Errorf("reader from the network holding its share: %v", err)
	}
	if err := ls.read(t, clientB); err != nil {
		t.Errorf("reader from another network: %v", err)
	}
	checkOpen(t, held, append(closed, fmt.Sprint(2*share))...)

	logs := ls.logs.String()
	lines := strings.Count(logs, `msg="connections capped"`)
	if lines == 0 || lines > 2 {
		t.Errorf("%d log lines about capped connections for %d closed, want 1 or 2:\n%s", lines, len(closed)+1, logs)
	}
	if !strings.Contains(logs, "network=127.0.0.0/24") || strings.Contains(logs, clientA+":") {
		t.Errorf("the log must name the network, never the address:\n%s", logs)
	}
}

// TestConnCapRefusesWhenBusy: when a network's connections are all busy,
// its next one is closed at once, and another network is still served.
func TestConnCapRefusesWhenBusy(t *testing.T) {
	t.Parallel()
	ls := startLive(t, server.Config{MaxConnsPerNetwork: 2, MaxConns: 64})
	held := map[string]net.Conn{"0": ls.holdSilent(t, clientA), "1": ls.holdSilent(t, clientA)}
	if err := ls.read(t, clientA); err == nil {
		t.Error("a connection past a busy network's share was served")
	}
	if err := ls.read(t, clientB); err != nil {
		t.Errorf("reader from another network while one holds its share: %v", err)
	}
	checkOpen(t, held)
}

// TestConnCapTotal: past the total cap the longest-idle connection
// anywhere closes for a newcomer; when none is idle the newcomer closes.
func TestConnCapTotal(t *testing.T) {
	t.Parallel()
	ls := startLive(t, server.Config{MaxConns: 4, MaxConnsPerNetwork: 64})
	held := map[string]net.Conn{}
	for _, n := range []string{"a0", "b0", "a1", "b1"} {
		held[n] = ls.holdIdle(t, map[byte]string{'a': clientA, 'b': clientB}[n[0]])
	}
	held["c0"] = ls.holdIdle(t, clientC)
	checkOpen(t, held, "a0")
	held["c1"] = ls.holdIdle(t, clientC)
	checkOpen(t, held, "a0", "b0")

	// Connections that have sent nothing are not idle: four of them take
	// the place of the four idle ones, and the next newcomer is refused.
	for i := range 4 {
		held[fmt.Sprint("silent", i)] = ls.holdSilent(t, clientC)
	}
	checkOpen(t, held, "a0", "b0", "a1", "b1", "c0", "c1")
	if err := ls.read(t, clientB); err == nil {
		t.Error("a newcomer was served past the total cap with no connection idle")
	}
}

// TestConnCapTrustedProxy: a trusted proxy's connections carry every
// client's requests, so they are not capped as one client's; another peer
// of the proxy's network still is.
func TestConnCapTrustedProxy(t *testing.T) {
	t.Parallel()
	ls := startLive(t, server.Config{
		TrustedProxies:     []netip.Prefix{netip.MustParsePrefix(clientA + "/32")},
		MaxConnsPerNetwork: 2,
		MaxConns:           64,
	})
	held := map[string]net.Conn{}
	for i := range 6 {
		held[fmt.Sprint("proxy", i)] = ls.holdIdle(t, clientA)
	}
	for i := range 3 {
		held[fmt.Sprint("neighbour", i)] = ls.holdIdle(t, "127.0.0.2")
	}
	checkOpen(t, held, "neighbour0")
}

// TestHeaderLimit: the request line and headers together may take 16 KB,
// as the README says; one byte more is 431.
func TestHeaderLimit(t *testing.T) {
	t.Parallel()
	ls := startLive(t, server.Config{})
	const limit = 16 << 10
	for _, tt := range []struct {
		size, status int
	}{{limit, 200}, {limit + 1, 431}} {
		head, tail := "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ", "\r\n\r\n"
		raw := head + strings.Repeat("p", tt.size-len(head)-len(tail)) + tail
		status, _, err := sendRaw(ls.dial(t, clientA), raw)
		if err != nil || status != tt.status {
			t.Errorf("%d bytes of request line and headers: status %d, %v; want %d", tt.size, status, err, tt.status)
		}
	}
}
