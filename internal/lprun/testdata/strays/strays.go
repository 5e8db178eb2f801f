// Package strays starts goroutines that the statement does not wait for:
// those that end within a second of the statement count (docs/lprun.md).
package strays

import (
	"sync/atomic"
	"time"
)

var sink atomic.Int64

// Spawn starts two goroutines and returns at once: one ends after a
// millisecond, the other calls Work after two.
func Spawn() {
	go func() { // want 1
		time.Sleep(time.Millisecond) // want 1
		sink.Add(1)                  // want 1
	}()
	go later(3) // want 1
}

func later(n int) {
	time.Sleep(2 * time.Millisecond)
	Work(n)
}

// Work is called only by a goroutine, after the statement has returned.
func Work(n int) {
	for i := 0; i < n; i++ { // want 4
		sink.Add(int64(i)) // want 3
	}
}
