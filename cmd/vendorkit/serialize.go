package main

import (
	"io"
	"sync"
)

// serializedWriter makes each Write atomic with respect to the others, so
// lines written by concurrent goroutines never interleave or race. Every
// line vendorkit prints is one Write (fmt.Fprint* make one call).
type serializedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *serializedWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
