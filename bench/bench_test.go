package bench

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// Quick checks that run under a plain `go test` (no benchmark's setup):
// every row's client decodes the same data from both servers, so the
// benchmarks compare equal work.
func TestRowsDecodeTheSamePayload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := startServers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	eps := srv.endpoints()
	if len(srv.minimal.body) < 700 || len(srv.minimal.body) > 1400 {
		t.Errorf("payload is %d bytes, want about 1 KiB", len(srv.minimal.body))
	}
	var want any
	for _, server := range serverKinds {
		for _, kind := range clientKinds {
			rt := newTransport()
			c, err := newCaller(ctx, kind, eps.base(server), rt)
			if err != nil {
				t.Fatalf("%s/%s: %v", server, kind, err)
			}
			got, err := c.call(ctx)
			c.close()
			rt.CloseIdleConnections()
			if err != nil {
				t.Fatalf("%s/%s: %v", server, kind, err)
			}
			if len(got) == 0 {
				t.Fatalf("%s/%s: no sync options", server, kind)
			}
			if want == nil {
				want = got
			} else if !reflect.DeepEqual(got, want) {
				t.Errorf("%s/%s decoded %+v, want %+v", server, kind, got, want)
			}
		}
	}
}

func TestPercentile(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 1000; i++ {
		lat = append(lat, time.Duration(i))
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500}, {0.99, 990}, {0.999, 999}, {1, 1000}, {0, 1}} {
		if got := percentile(lat, c.q); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if countOver(lat, 900) != 100 {
		t.Error("countOver")
	}
}
