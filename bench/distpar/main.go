// Command distpar measures the tutorial's distance computation made
// parallel: serial Pairwise against PairwiseParallel on the same N x N
// matrix, in one run, alternating the two (in the order A B B A ..., see
// bench/internal/benchcheck) so that both see the same machine state
// (frequency scaling, other load). It reports the best and median time of
// each, the speedup, and checks that the results are identical. A speedup
// above the number of cores the run could use (with 5% of slack) cannot come
// from the code: it is printed as INVALID and the command fails.
//
//	go run ./bench/distpar [-n 1000] [-reps 7] [-workers 0] [-timeline FILE]
//
// The target is a speedup of at least 1.85 on 2 cores.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/gospeedup/speedup/bench/internal/benchcheck"
	"github.com/gospeedup/speedup/diag"
	"github.com/gospeedup/speedup/examples/distance"
	"github.com/gospeedup/speedup/internal/atomicfile"
	"github.com/gospeedup/speedup/par"
)

func main() {
	n := flag.Int("n", 1000, "rows and columns of the random matrix")
	reps := flag.Int("reps", 7, "timed repetitions of each version")
	workers := flag.Int("workers", 0, "parallel workers (0: GOMAXPROCS)")
	timeline := flag.String("timeline", "", "after timing, run the parallel version once more, observed, and write its SVG timeline to `FILE`")
	flag.Parse()
	if err := run(*n, *reps, *workers, *timeline); err != nil {
		fmt.Fprintln(os.Stderr, "distpar:", err)
		os.Exit(1)
	}
}

// target is the goal for 2 cores; it is printed, not judged, so
// that the output's words do not change with the machine.
const target = 1.85

func run(n, reps, workers int, timeline string) error {
	if n < 1 || reps < 1 {
		return fmt.Errorf("-n and -reps must be positive")
	}
	// Checked before the timing, which takes a while, not after.
	if err := atomicfile.Check(timeline); timeline != "" && err != nil {
		return fmt.Errorf("-timeline %s: %v", timeline, err)
	}
	w := workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	ctx := context.Background()
	X := distance.RandMatrix(n, n)
	// "Workers(n)" and "runs: n" keep the words the same for every n, so
	// that documented output stays comparable across machines.
	fmt.Printf("distance %dx%d: serial Pairwise vs PairwiseParallel with Workers(%d); GOMAXPROCS %d, NumCPU %d, runs: %d\n",
		n, n, w, runtime.GOMAXPROCS(0), runtime.NumCPU(), reps)

	var want, got distance.Matrix
	// One untimed run of each first: page faults of the first allocations
	// and the start of the worker goroutines are not what is measured.
	want = distance.Pairwise(X)
	if _, err := distance.PairwiseParallel(ctx, X, par.Workers(w)); err != nil {
		return err
	}
	var perr error
	// In turns, the order reversed every other round (benchcheck.Alternate),
	// so that both versions see the same machine state.
	runs := benchcheck.Alternate(reps,
		benchcheck.Time(func() { want = distance.Pairwise(X) }),
		benchcheck.Time(func() {
			var err error
			if got, err = distance.PairwiseParallel(ctx, X, par.Workers(w)); err != nil && perr == nil {
				perr = err
			}
		}))
	if perr != nil {
		return perr
	}
	serial, parallel := runs[0], runs[1]

	same := want.EqualBits(got)
	sb, sm := bestMedian(serial)
	pb, pm := bestMedian(parallel)
	fmt.Printf("%-9s %10s %10s\n", "", "best", "median")
	fmt.Printf("%-9s %7.1f ms %7.1f ms\n", "serial", ms(sb), ms(sm))
	fmt.Printf("%-9s %7.1f ms %7.1f ms\n", "parallel", ms(pb), ms(pm))
	speedup, medSpeedup := float64(sb)/float64(pb), float64(sm)/float64(pm)
	// A speedup above the cores the run could use is not a result but a
	// broken measurement (a slowed baseline): say so, never print it plain.
	invalid := benchcheck.First(benchcheck.Speedup(speedup, w), benchcheck.Speedup(medSpeedup, w))
	verdict := ""
	if short := benchcheck.Enough(reps); invalid != nil || short != nil {
		// The target is printed, not judged; but a median of one or two
		// runs is said to be one, and an impossible figure INVALID.
		verdict = " " + benchcheck.Verdict(false, invalid, short)
	}
	fmt.Printf("parallel speedup: %.2fx best, %.2fx median; efficiency %.0f%% (target: %.2fx on 2 cores)%s\n",
		speedup, medSpeedup, 100*speedup/float64(w), target, verdict)
	fmt.Printf("identical results: %v\n", same)
	if !same {
		return fmt.Errorf("parallel result differs from serial")
	}
	if invalid != nil {
		return fmt.Errorf("invalid measurement: %v", invalid)
	}
	if timeline != "" {
		rec := diag.NewRecorder()
		if _, err := distance.PairwiseParallel(ctx, X, par.Workers(w), par.Observe(rec)); err != nil {
			return err
		}
		tl := diag.NewTimeline(rec)
		tl.Title = fmt.Sprintf("PairwiseParallel, %dx%d, %d workers: %d chunks of rows", n, n, w, len(rec.Tasks()))
		if err := tl.WriteFile(timeline); err != nil {
			return err
		}
	}
	return nil
}

func bestMedian(ds []time.Duration) (best, median time.Duration) {
	return slices.Min(ds), benchcheck.Median(ds)
}

// ms gives a fixed unit, so that the columns line up and the output has the
// same words from run to run (time.Duration's String switches units).
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
