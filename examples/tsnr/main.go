// Command tsnr computes the temporal SNR (mean / std over time, per voxel)
// of a synthetic 4-D fMRI-like series, serially with the two-pass method
// and in chunks with par.MapReduce, prints both timings and checks that
// they agree.
//
//	go run ./examples/tsnr [-shape 64x64x32x300] [-workers 0] [-chunk 0]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/gospeedup/speedup/diag"
	"github.com/gospeedup/speedup/examples/tsnr/tsnr"
	"github.com/gospeedup/speedup/par"
)

func main() {
	shape := flag.String("shape", "64x64x32x300", "array shape `XxYxZxT` (voxels x time points)")
	workers := flag.Int("workers", 0, "parallel workers (0: GOMAXPROCS)")
	chunk := flag.Int("chunk", 0, "time points per chunk (0: automatic)")
	reps := flag.Int("reps", 5, "timed runs of each method (the best is shown)")
	seed := flag.Uint64("seed", 1, "seed of the synthetic data")
	flag.Parse()
	if err := run(*shape, *workers, *chunk, *reps, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "tsnr:", err)
		os.Exit(1)
	}
}

// tolerance is the agreement demanded of the chunked result: both methods
// are accurate to a few ulps times the number of terms, far below it.
const tolerance = 1e-12

// best runs f reps times and returns its shortest time: the reductions take
// tens of milliseconds, where a single run is at the mercy of the machine.
func best(reps int, f func() error) (time.Duration, error) {
	var min time.Duration
	for i := range max(reps, 1) {
		start := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		if d := time.Since(start); i == 0 || d < min {
			min = d
		}
	}
	return min, nil
}

func run(shape string, workers, chunk, reps int, seed uint64) error {
	d, err := tsnr.ParseShape(shape)
	if err != nil {
		return err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx := context.Background()

	start := time.Now()
	s, err := tsnr.Synthetic(ctx, d[0], d[1], d[2], d[3], seed)
	if err != nil {
		return err
	}
	fmt.Printf("synthetic series: %dx%dx%d voxels x %d time points, float64, %.0f MB, made in %.2f s\n",
		d[0], d[1], d[2], d[3], float64(len(s.Data))*8/1e6, time.Since(start).Seconds())

	var want tsnr.Result
	serial, _ := best(reps, func() error { want = tsnr.Serial(s); return nil })
	fmt.Printf("serial two-pass:      %.3f s (best of %d)\n", serial.Seconds(), max(reps, 1))

	var opts []par.Option
	if chunk > 0 {
		opts = append(opts, par.ChunkSize(chunk))
	}
	one, err := best(reps, func() error {
		_, err := tsnr.Chunked(ctx, s, append(opts, par.Workers(1))...)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("chunked, Workers(1):  %.3f s\n", one.Seconds())

	// The recorder only counts the chunks for the report; a few events
	// cost nothing next to the reduction.
	var got tsnr.Result
	var rec *diag.Recorder
	many, err := best(reps, func() error {
		rec = diag.NewRecorder()
		var err error
		got, err = tsnr.Chunked(ctx, s, append(opts, par.Workers(workers), par.Observe(rec))...)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("chunked, Workers(%d):  %.3f s (%d chunks, speedup %.2fx over serial)\n",
		workers, many.Seconds(), len(rec.Tasks()), serial.Seconds()/many.Seconds())

	dm, ds, dt := tsnr.MaxRelDiff(got.Mean, want.Mean), tsnr.MaxRelDiff(got.Std, want.Std), tsnr.MaxRelDiff(got.TSNR, want.TSNR)
	fmt.Printf("max relative difference, chunked vs serial: mean %.1e, std %.1e, tSNR %.1e\n", dm, ds, dt)

	// The synthetic brain is bright (mean near 1000), the background dim
	// (50): split on the mean to summarize each.
	var brain, background []float64
	for v, m := range want.Mean {
		if m > 500 {
			brain = append(brain, want.TSNR[v])
		} else {
			background = append(background, want.TSNR[v])
		}
	}
	fmt.Printf("median tSNR: brain %.1f (%d voxels), background %.1f (%d voxels)\n",
		median(brain), len(brain), median(background), len(background))
	if max(dm, ds, dt) > tolerance {
		return fmt.Errorf("chunked result differs from serial by more than %g", tolerance)
	}
	return nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
