package scaling

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gospeedup/speedup/timeit"
)

// Sweep measures the work at each worker count in procs, smallest first,
// with measure (which must make the work run with p workers, for instance a
// child process started with GOMAXPROCS=p), and analyzes the results with
// Analyze against numCPU cores. procs must include 1. The first error of
// measure is returned, naming its P.
//
// Measuring in increasing order lets a caller calibrate once: the first
// call (P = 1) may pick the loop count and the later calls reuse it, so
// that every P times the same amount of work per run.
func Sweep(procs []int, numCPU int, measure func(p int) (*timeit.Result, error)) (*Report, error) {
	if len(procs) == 0 {
		return nil, errors.New("scaling: no worker counts")
	}
	procs = slices.Sorted(slices.Values(procs))
	if procs[0] != 1 {
		// Checked here too so that no time is spent measuring a sweep
		// Analyze would reject.
		return nil, fmt.Errorf("scaling: no measurement at P=1: speedup is relative to the serial time T1, so the worker counts must include 1")
	}
	ms := make([]Measurement, 0, len(procs))
	for _, p := range procs {
		r, err := measure(p)
		if err != nil {
			//lint:ignore ST1005 P is the worker count's symbol, capital as in the table
			return nil, fmt.Errorf("P=%d: %w", p, err)
		}
		m, err := FromResult(p, r)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return Analyze(ms, numCPU)
}

// FromResult turns a timeit Result measured at p workers into a
// Measurement. The mean and the (population) standard deviation of the
// per-loop time are recomputed in float64 seconds from the runs, as
// timeit's own line does, because Result's Duration fields are rounded to
// the nanosecond, which is a 10% error on a 5 ns loop.
func FromResult(p int, r *timeit.Result) (Measurement, error) {
	if r == nil {
		return Measurement{}, fmt.Errorf("scaling: P=%d: no result", p)
	}
	var times []float64
	if len(r.Samples) > 0 {
		for _, s := range r.Samples {
			if s.Loops < 1 {
				return Measurement{}, fmt.Errorf("scaling: P=%d: a run of %d loops", p, s.Loops)
			}
			times = append(times, s.Elapsed.Seconds()/float64(s.Loops))
		}
	} else {
		for _, t := range r.Times {
			times = append(times, t.Seconds())
		}
	}
	if len(times) == 0 {
		return Measurement{}, fmt.Errorf("scaling: P=%d: a result without runs", p)
	}
	var sum float64
	for _, t := range times {
		sum += t
	}
	mean := sum / float64(len(times))
	var sq float64
	for _, t := range times {
		sq += (t - mean) * (t - mean)
	}
	return Measurement{Procs: p, Mean: mean, Stdev: math.Sqrt(sq / float64(len(times)))}, nil
}
