package testservice

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// FreePorts returns the first of n consecutive loopback ports that were
// all free when it looked. Another process may take one before the test
// binds it, so callers retry on "address in use".
//
// It looks outside the ephemeral range, where the kernel picks the local
// port of every outgoing connection: a closed connection keeps its port
// in TIME_WAIT for a minute, which a listener cannot bind, so after a
// burst of connections (a test suite's) most runs of n ports there hold
// one taken port.
func FreePorts(t testing.TB, n int) int {
	t.Helper()
	lo, hi := portRange(n)
	for range 100 {
		base := lo + rand.IntN(hi-lo-n+2) // base+n-1 <= hi
		if bindable(base, n) {
			return base
		}
	}
	t.Fatalf("testservice: no %d consecutive free loopback ports in %d-%d", n, lo, hi)
	return 0
}

// bindable reports whether ports base to base+n-1 can all be bound now.
func bindable(base, n int) bool {
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for p := base; p < base+n; p++ {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			return false
		}
		lns = append(lns, l)
	}
	return true
}

// minPort keeps FreePorts above the ports well-known services listen on.
const minPort = 10000

// portRange is where FreePorts looks for n ports: the unprivileged ports
// below the ephemeral range (Linux's ip_local_port_range, else the IANA
// range 49152-65535 the other systems use), or above it when too little
// is left below.
func portRange(n int) (lo, hi int) {
	eLo, eHi := 49152, 65535
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			l, err1 := strconv.Atoi(f[0])
			h, err2 := strconv.Atoi(f[1])
			if err1 == nil && err2 == nil && l <= h {
				eLo, eHi = l, h
			}
		}
	}
	const room = 1000 // enough bases for 100 random tries
	switch {
	case eLo-1-minPort >= room+n:
		return minPort, eLo - 1
	case 65535-(eHi+1) >= room+n:
		return eHi + 1, 65535
	}
	return minPort, 65535 // the ephemeral range covers nearly all: look anywhere
}
