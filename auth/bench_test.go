package auth

import (
	"context"
	"testing"
	"time"
)

// BenchmarkSourceTokenHot: a fresh cached token costs one atomic load and
// one Clock read, no allocation.
func BenchmarkSourceTokenHot(b *testing.B) {
	clock := newFakeClock()
	src := NewSource(&fakeFlow{clock: clock, life: time.Hour}, SourceOptions{Clock: clock})
	defer src.Close()
	ctx := context.Background()
	if _, err := src.Token(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := src.Token(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestSourceTokenHotDoesNotAllocate(t *testing.T) {
	clock := newFakeClock()
	src := newTestSource(t, &fakeFlow{clock: clock, life: time.Hour}, SourceOptions{Clock: clock})
	ctx := context.Background()
	src.Token(ctx)
	clock.Advance(10 * time.Minute) // still fresh
	if n := testing.AllocsPerRun(1000, func() { src.Token(ctx) }); n != 0 {
		t.Fatalf("allocs/op = %v", n)
	}
}

type realClockFlow struct{}

func (realClockFlow) Token(context.Context) (*Token, error) {
	return &Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)}, nil
}

// Same with the default (real) clock.
func BenchmarkSourceTokenHotRealClock(b *testing.B) {
	src := NewSource(realClockFlow{}, SourceOptions{})
	defer src.Close()
	ctx := context.Background()
	src.Token(ctx)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
