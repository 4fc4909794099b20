package testservice

import "testing"

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
