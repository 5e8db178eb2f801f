// Package relabel replaces its caller's profiler labels before the work,
// as pprof.Do with a context of its own does (package par does so for the
// tasks it runs on the caller's goroutine). lprun's CPU samples carried
// their batch only in those labels, and all of Work's were lost.
package relabel

import (
	"context"
	"runtime/pprof"
)

// Relabel runs nothing under labels of its own: afterwards the calling
// goroutine has the labels of context.Background(), none.
func Relabel() {
	pprof.Do(context.Background(), pprof.Labels("relabel", "yes"), func(context.Context) {})
}

// Work runs n steps of a xorshift generator: CPU time, nothing else.
func Work(n int) uint64 {
	var x uint64 = 1
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}
