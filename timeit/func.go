package timeit

import (
	"errors"
	"runtime"
	"runtime/debug"
	"time"
)

// Func times f in this process with the engine of Measure: a runtime.GC()
// before each run, so that garbage left by one run is not collected during
// the next, and the allocations of each run from runtime.MemStats (Mallocs
// and TotalAlloc deltas).
//
// The loop is unrolled so that its own cost (a counter and a branch per
// call) stays far below a nanosecond per call; what remains is the indirect
// call of f, about what testing.B's b.Loop costs for the same call.
func Func(f func(), o Options) (*Result, error) {
	return FuncSetup(nil, f, o)
}

// FuncSetup is Func with a setup, run once before each run (calibration
// runs included) and outside the timing, like IPython's -s.
func FuncSetup(setup, f func(), o Options) (*Result, error) {
	if f == nil {
		return nil, errors.New("timeit: nil func to time")
	}
	if o.DisableGC {
		old := debug.SetGCPercent(-1)
		defer debug.SetGCPercent(old)
	}
	var before, after runtime.MemStats
	sampler := SamplerFunc(func(loops int) (Sample, error) {
		if setup != nil {
			setup()
		}
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		runLoops(f, loops)
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		return Sample{
			Loops:   loops,
			Elapsed: elapsed,
			Allocs:  after.Mallocs - before.Mallocs,
			Bytes:   after.TotalAlloc - before.TotalAlloc,
		}, nil
	})
	return Measure(sampler, o)
}

// runLoops calls f n times, eight calls per iteration so that the loop
// counter and branch are paid once per eight calls.
func runLoops(f func(), n int) {
	for ; n >= 8; n -= 8 {
		f()
		f()
		f()
		f()
		f()
		f()
		f()
		f()
	}
	for ; n > 0; n-- {
		f()
	}
}
