package testservice

import (
	"errors"
	"net"
	"strconv"
	"syscall"
	"testing"
)

// The instance answers PING, and Kill and Restart do what they say.
func TestRedisLifecycle(t *testing.T) {
	r := StartRedis(t)
	if err := ping(r.Addr); err != nil {
		t.Fatal(err)
	}
	r.Kill()
	if err := ping(r.Addr); err == nil {
		t.Fatal("PING answered after Kill")
	}
	r.Restart(t)
	if err := ping(r.Addr); err != nil {
		t.Fatalf("after Restart: %v", err)
	}
}

// FreePorts' ports are consecutive and could be bound (unless another
// process took one meanwhile: then it tries again).
func TestFreePorts(t *testing.T) {
	for range 5 {
		base := FreePorts(t, 3)
		var lns []net.Listener
		var err error
		for p := base; p < base+3 && err == nil; p++ {
			var l net.Listener
			if l, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
				lns = append(lns, l)
			}
		}
		for _, l := range lns {
			l.Close()
		}
		if err == nil {
			return
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatal(err)
		}
	}
	t.Fatal("5 times a port FreePorts returned was in use")
}
