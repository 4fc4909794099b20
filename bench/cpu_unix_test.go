//go:build unix

package bench

import "syscall"

// processCPU is this process's user+system CPU time in ns (getrusage).
// Rows 1 and 4 report it per op as cpu-ns/op: with the servers in the
// child process that is the client's own CPU cost (benchmark loop, GC and
// net/http's goroutines included), which the wall time, dominated by
// loopback round trips, can hide.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
