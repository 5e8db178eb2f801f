// Command tsnr is the tutorial's chunked temporal-SNR reduction on Apache
// Beam: the time axis of a synthetic 4-D series is cut into spans, each
// worker makes its own span's volumes and reduces them to per-voxel
// moments (n, mean, M2), and the moments are merged in time order with
// tsnr.Merge, the update of Chan, Golub and LeVeque. Only the spans'
// descriptions travel to the workers, as a cluster reads its own data.
//
// It runs the same map and merge with par.MapReduce on one and on all
// cores, and with dist on one and on several shards (prism's parallelism),
// alternating them, prints the best and median times, and checks that the
// results are identical, bit for bit, to par's and to the tutorial's
// tsnr.Chunked on the same series.
//
//	go run ./examples/tsnr [-shape 64x64x32x300] [-span 0] [-reps 3]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gospeedup/speedup/dist"
	"github.com/gospeedup/speedup/dist/examples/tsnr/span"
	"github.com/gospeedup/speedup/examples/tsnr/tsnr"
	"github.com/gospeedup/speedup/par"
)

func main() {
	shape := flag.String("shape", "64x64x32x300", "series shape `XxYxZxT` (voxels x time points)")
	size := flag.Int("span", 0, "time points per work item (0: the series in 4 items per core)")
	reps := flag.Int("reps", 3, "timed runs of each version, alternated")
	seed := flag.Uint64("seed", 1, "seed of the synthetic data")
	flag.Parse()
	dist.Init()
	if err := run(context.Background(), os.Stdout, *shape, *size, *reps, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "tsnr:", err)
		os.Exit(1)
	}
}

// version is one way of computing the moments, timed in turn with the
// others.
type version struct {
	name  string
	run   func() (tsnr.Stats, error)
	times []time.Duration
	got   tsnr.Stats
}

// run writes to w the times of the tSNR of a synthetic series of shape
// XxYxZxT in spans of size time points (0: 4 spans per core) with par and
// dist, each timed reps times, and checks that all their results are
// identical to tsnr.Chunked's.
func run(ctx context.Context, w io.Writer, shape string, size, reps int, seed uint64) error {
	d, err := tsnr.ParseShape(shape)
	if err != nil {
		return err
	}
	if reps < 1 {
		return fmt.Errorf("-reps must be positive")
	}
	cores := runtime.GOMAXPROCS(0)
	if size <= 0 {
		items := 4 * cores
		size = (d[3] + items - 1) / items
	}
	items := span.Spans(d[0], d[1], d[2], d[3], seed, size)
	fmt.Fprintf(w, "tsnr: %dx%dx%d voxels x %d time points in %d spans of %d; GOMAXPROCS %d, runs: %d\n",
		d[0], d[1], d[2], d[3], len(items), size, cores, reps)

	versions := newVersions(ctx, items, cores)
	if err := timeVersions(reps, versions); err != nil {
		return err
	}
	for _, v := range versions {
		fmt.Fprintf(w, "%-28s best %.3f s, median %.3f s\n", v.name+":", best(v.times).Seconds(), median(v.times).Seconds())
	}
	if l := load(); l > float64(runtime.NumCPU()) {
		fmt.Fprintf(w, "caution: the machine is busy (load average %.1f on %d CPUs): other processes took CPU time from these runs\n", l, runtime.NumCPU())
	}
	fmt.Fprintf(w, "speedup over one core (best times): par %s, dist %s; dist / par on all cores: %.2f\n",
		speedup(versions[0].times, versions[1].times, cores), speedup(versions[2].times, versions[3].times, cores),
		best(versions[3].times).Seconds()/best(versions[1].times).Seconds())

	want, err := checkResults(ctx, versions, d, seed, size)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "results: identical, bit for bit, in all four versions and in tsnr.Chunked(ChunkSize(%d))\n", size)
	brain, background := byMean(want, 500)
	fmt.Fprintf(w, "median tSNR: brain %.1f (%d voxels), background %.1f (%d voxels)\n",
		medianF(brain), len(brain), medianF(background), len(background))
	return nil
}

// newVersions returns the four versions compared: par.MapReduce on one
// and on all cores, dist on one and on cores shards.
func newVersions(ctx context.Context, items []span.Span, cores int) []*version {
	parRun := func(workers int) func() (tsnr.Stats, error) {
		return func() (tsnr.Stats, error) {
			return par.MapReduce(ctx, items, func(ctx context.Context, c []span.Span) (tsnr.Stats, error) {
				return span.SpanMoments(ctx, c[0])
			}, tsnr.Merge, par.ChunkSize(1), par.Workers(workers))
		}
	}
	distRun := func(shards int) func() (tsnr.Stats, error) {
		return func() (tsnr.Stats, error) {
			return dist.MapReduce(ctx, items, span.SpanMoments, tsnr.Merge, dist.ChunkSize(1), dist.Shards(shards))
		}
	}
	return []*version{
		{name: "par.MapReduce, Workers(1)", run: parRun(1)},
		{name: fmt.Sprintf("par.MapReduce, Workers(%d)", cores), run: parRun(cores)},
		{name: "dist on prism, Shards(1)", run: distRun(1)},
		{name: fmt.Sprintf("dist on prism, Shards(%d)", cores), run: distRun(cores)},
	}
}

// timeVersions runs the versions in turn reps times, each after a GC,
// recording their times and their first result.
func timeVersions(reps int, versions []*version) error {
	for r := range reps {
		for _, v := range versions {
			runtime.GC() // the previous version's volumes are not this one's cost
			start := time.Now()
			st, err := v.run()
			if err != nil {
				return fmt.Errorf("%s: %v", v.name, err)
			}
			v.times = append(v.times, time.Since(start))
			if r == 0 {
				v.got = st
			}
		}
	}
	return nil
}

// speedup formats the ratio of the best times a / b, marking what cannot
// be real on cores cores.
func speedup(a, b []time.Duration, cores int) string {
	s := best(a).Seconds() / best(b).Seconds()
	out := fmt.Sprintf("%.2fx", s)
	if s > float64(cores)*1.05 {
		out += " (INVALID: above the number of cores; the machine's load changed during the runs)"
	}
	return out
}

// checkResults checks that every version has the same numbers as par on
// one core, and as the tutorial's tsnr.Chunked on the series made in
// memory, and returns them.
func checkResults(ctx context.Context, versions []*version, d [4]int, seed uint64, size int) (tsnr.Result, error) {
	want := versions[0].got.Result()
	for _, v := range versions[1:] {
		if !identical(v.got.Result(), want) {
			return want, fmt.Errorf("%s: result differs from %s", v.name, versions[0].name)
		}
	}
	s, err := tsnr.Synthetic(ctx, d[0], d[1], d[2], d[3], seed)
	if err != nil {
		return want, err
	}
	chunked, err := tsnr.Chunked(ctx, s, par.ChunkSize(size))
	if err != nil {
		return want, err
	}
	if !identical(chunked, want) {
		return want, fmt.Errorf("result differs from tsnr.Chunked with ChunkSize(%d)", size)
	}
	return want, nil
}

// byMean splits the voxels' tSNR by their mean: above threshold (brain)
// and the others (background).
func byMean(r tsnr.Result, threshold float64) (above, below []float64) {
	for v, m := range r.Mean {
		if m > threshold {
			above = append(above, r.TSNR[v])
		} else {
			below = append(below, r.TSNR[v])
		}
	}
	return above, below
}

// load returns the 1-minute load average, or -1 where there is none.
func load() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f, err := strconv.ParseFloat(strings.Fields(string(data))[0], 64)
	if err != nil {
		return -1
	}
	return f
}

func identical(a, b tsnr.Result) bool {
	return slices.Equal(a.Mean, b.Mean) && slices.Equal(a.Std, b.Std) && slices.Equal(a.TSNR, b.TSNR)
}

func best(ts []time.Duration) time.Duration { return slices.Min(ts) }

func median(ts []time.Duration) time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianF(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
