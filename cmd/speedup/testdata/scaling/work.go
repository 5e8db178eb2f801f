// Package work is the fixture of speedup scaling's end-to-end test: a sum
// split across GOMAXPROCS goroutines, so that the worker count matters.
package work

import (
	"runtime"
	"sync"
)

// sumSquares returns the sum of i*i for i < n, computed in GOMAXPROCS
// chunks on as many goroutines.
func sumSquares(n int) float64 {
	workers := runtime.GOMAXPROCS(0)
	partial := make([]float64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			// A local sum: adding into partial[w] directly would make
			// the workers fight over one cache line (false sharing).
			var s float64
			for i := w * n / workers; i < (w+1)*n/workers; i++ {
				s += float64(i) * float64(i)
			}
			partial[w] = s
		})
	}
	wg.Wait()
	var s float64
	for _, p := range partial {
		s += p
	}
	return s
}
