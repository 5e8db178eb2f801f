// Command mapreduce measures dist against par in one run, alternating the
// versions so that they see the same machine:
//
//   - a trivial reduction (the sum of squares of -n integers) with
//     par.MapReduce and with dist.MapReduce on prism, and dist on one item,
//     whose time is the pipeline's fixed cost: the ratio dist/par, and dist's
//     cost per element beyond the fixed cost;
//
//   - alternated with those, Beam's own emptiest pipelines on the same
//     runner, with no dist code: an Impulse alone, and a Create of one
//     element into a ParDo0. They are the floor under any pipeline's fixed
//     cost: dist's fixed cost is compared with them, and the 10x target
//     with the floor;
//
//   - the tutorial's tSNR reduction (examples/tsnr) and a CPU-bound map
//     with dist on one shard and on one shard per core: whether prism runs
//     the shards' bundles at once, with identical results.
//
//     go run ./bench/mapreduce [-n 1000000] [-reps 5] [-shape 64x64x32x300]
//
// The targets: 1e6 items in under 3 s and within 10x of par; tSNR
// at least 1.5x faster on 2 cores than on one. They are printed, not
// judged, except that the 10x target is set against Beam's floor, both
// measured here. A speedup above the number of cores (with 5% of slack) cannot be
// real and is marked INVALID; a machine busier than its cores is said to
// be.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/gospeedup/speedup/diag"
	"github.com/gospeedup/speedup/dist"
	"github.com/gospeedup/speedup/dist/examples/tsnr/span"
	"github.com/gospeedup/speedup/examples/tsnr/tsnr"
	"github.com/gospeedup/speedup/par"
)

func square(ctx context.Context, v int) (int, error) { return v * v, nil }
func add(a, b int) int                               { return a + b }

// spin is CPU-bound work with no memory traffic: about units x 12 ms.
func spin(ctx context.Context, units int) (uint64, error) {
	x := uint64(units)
	for i := 0; i < units*10_000_000; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x >> 63, nil
}

func addU(a, b uint64) uint64 { return a + b }

// discard is the ParDo0 of Beam's one-element pipeline: it does nothing.
func discard(b []byte) {}

func init() {
	register.Function1x0(discard)
	dist.RegisterMap(square)
	dist.RegisterReduce(add)
	dist.RegisterMap(spin)
	dist.RegisterReduce(addU)
}

func main() {
	n := flag.Int("n", 1_000_000, "items of the trivial reduction")
	reps := flag.Int("reps", 5, "timed runs of each version, alternated")
	shape := flag.String("shape", "64x64x32x300", "tSNR series `XxYxZxT`")
	flag.Parse()
	dist.Init()
	if err := run(context.Background(), os.Stdout, *n, *reps, *shape); err != nil {
		fmt.Fprintln(os.Stderr, "mapreduce:", err)
		os.Exit(1)
	}
}

// timing is one version's times.
type timing struct {
	name string
	f    func() (any, error)
	ts   []time.Duration
	got  any
	// rec, when set, observes the chunks of the last run: how many ran at
	// once, which the machine's load does not change.
	rec *diag.Recorder
}

// inFlight is the mean number of chunks running at once in the last
// observed run, their total time over the span from the first start to
// the last end, formatted; "n/a" when no chunk was seen or their span is
// too short for the clock.
func (t *timing) inFlight() string {
	tasks := t.rec.Tasks()
	if len(tasks) == 0 {
		return "n/a (no chunk observed)"
	}
	var sum time.Duration
	first, last := tasks[0].Start, tasks[0].End
	for _, k := range tasks {
		sum += k.End.Sub(k.Start)
		if k.Start.Before(first) {
			first = k.Start
		}
		if k.End.After(last) {
			last = k.End
		}
	}
	if !last.After(first) {
		return "n/a (the chunks' span is below the clock's resolution)"
	}
	return fmt.Sprintf("%.2f", float64(sum)/float64(last.Sub(first)))
}

func (t *timing) best() time.Duration { return slices.Min(t.ts) }

// median is the middle time, the mean of the two middle ones for an even
// count.
func (t *timing) median() time.Duration {
	s := slices.Clone(t.ts)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return s[n/2-1] + (s[n/2]-s[n/2-1])/2
}

// minRuns is the fewest timed runs from which a spread or a speedup is
// more than an anecdote.
const minRuns = 3

// spread is (max - min) / median, how much the runs disagree, formatted;
// "n/a" below minRuns runs or for a median of 0.
func (t *timing) spread() string {
	switch m := t.median(); {
	case len(t.ts) < minRuns:
		return fmt.Sprintf("n/a (%d runs)", len(t.ts))
	case m <= 0:
		return "n/a (median 0)"
	default:
		return fmt.Sprintf("%.0f%%", 100*float64(slices.Max(t.ts)-slices.Min(t.ts))/float64(m))
	}
}

// alternate runs every version once per round, reps rounds.
func alternate(reps int, vs ...*timing) error {
	for r := range reps + 1 {
		for _, v := range vs {
			runtime.GC()
			start := time.Now()
			got, err := v.f()
			d := time.Since(start)
			if err != nil {
				return fmt.Errorf("%s: %v", v.name, err)
			}
			if r == 0 {
				v.got = got // round 0 warms up (page faults, prism's start) and is not timed
				continue
			}
			v.ts = append(v.ts, d)
		}
	}
	return nil
}

func show(w io.Writer, vs ...*timing) {
	for _, v := range vs {
		fmt.Fprintf(w, "  %-34s best %s, median %s, spread %s\n", v.name+":", dur(v.best()), dur(v.median()), v.spread())
	}
}

func dur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.1f µs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.3f s", d.Seconds())
}

// speedup formats a/b, marking what cannot be real and what rests on
// fewer than minRuns runs.
func speedup(a, b time.Duration, cores, runs int) string {
	if a <= 0 || b <= 0 {
		return "n/a (a time of 0)"
	}
	s := float64(a) / float64(b)
	out := fmt.Sprintf("%.2fx", s)
	switch {
	case s > float64(cores)*1.05:
		out += " INVALID (above the number of cores: the machine's load changed during the runs)"
	case runs < minRuns:
		out += fmt.Sprintf(" (too short: %d runs, a verdict needs %d)", runs, minRuns)
	}
	return out
}

// ratio formats a/b with the given format, or "n/a" when b is 0.
func ratio(format string, a, b time.Duration) string {
	if b <= 0 {
		return "n/a (a time of 0)"
	}
	return fmt.Sprintf(format, float64(a)/float64(b))
}

// perElement formats dist's cost per element beyond its fixed cost: the
// difference of the n-item and 1-item best times over n. When the 1-item
// run was the slower one (the load changed between them), there is no
// figure to give.
func perElement(all, one time.Duration, n int) string {
	if all < one {
		return "n/a (the 1-item run was slower than the whole: the load changed; run longer)"
	}
	return fmt.Sprintf("%.1f ns", float64(all-one)/float64(n))
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

// run writes the comparison of dist with par to w: n trivial items, then
// CPU-bound items and the tSNR of a data set of shape XxYxZxT, each timed
// reps times after one untimed run.
func run(ctx context.Context, w io.Writer, n, reps int, shape string) error {
	if n < 1 || reps < 1 {
		return fmt.Errorf("-n and -reps must be positive")
	}
	d, err := tsnr.ParseShape(shape)
	if err != nil {
		return err
	}
	cores := runtime.GOMAXPROCS(0)
	fmt.Fprintf(w, "dist vs par; GOMAXPROCS %d, NumCPU %d, runs: %d, %d of the short ones (after one untimed)\n", cores, runtime.NumCPU(), reps, shortReps*reps)
	loadBefore := load()
	if err := trivial(ctx, w, n, shortReps*reps); err != nil {
		return err
	}
	if err := parallelism(ctx, w, reps, cores, shape, d); err != nil {
		return err
	}
	loadAfter := load()
	if l := max(loadBefore, loadAfter); l > float64(runtime.NumCPU()) {
		fmt.Fprintf(w, "caution: the machine was busy (load average %.1f before, %.1f after, on %d CPUs): other processes took CPU time from these runs, and the speedups understate what idle cores give\n",
			loadBefore, loadAfter, runtime.NumCPU())
	}
	return nil
}

// shortReps multiplies the rounds of the trivial reduction's versions,
// which take milliseconds: more rounds make their best times, from which
// the fixed cost and the cost per element are computed, less at the mercy
// of the machine's load, for a second or two more.
const shortReps = 4

// trivial compares dist with par on the sum of the squares of n integers,
// and prints dist's fixed cost and cost per element.
func trivial(ctx context.Context, w io.Writer, n, reps int) error {
	xs := make([]int, n)
	for i := range xs {
		xs[i] = i
	}
	defer removeStrays(strayFiles())
	parT := &timing{name: "par.MapReduce", f: func() (any, error) {
		return par.MapReduce(ctx, xs, func(ctx context.Context, c []int) (int, error) {
			s := 0
			for _, v := range c {
				s += v * v
			}
			return s, nil
		}, add)
	}}
	distT := &timing{name: "dist.MapReduce on prism", f: func() (any, error) { return dist.MapReduce(ctx, xs, square, add) }}
	oneT := &timing{name: "dist.MapReduce on prism, 1 item", f: func() (any, error) { return dist.MapReduce(ctx, xs[:1], square, add) }}
	impulseT := &timing{name: "Beam alone: Impulse", f: func() (any, error) { return nil, impulseOnly(ctx) }}
	createT := &timing{name: "Beam alone: Create(1 elem)→ParDo0", f: func() (any, error) { return nil, createParDo0(ctx) }}
	if err := alternate(reps, parT, distT, oneT, impulseT, createT); err != nil {
		return err
	}
	if parT.got != distT.got {
		return fmt.Errorf("sum of squares: par %v, dist %v", parT.got, distT.got)
	}
	fmt.Fprintf(w, "sum of squares of %d integers (equal results: %v):\n", n, distT.got)
	show(w, parT, distT, oneT, impulseT, createT)
	fmt.Fprintf(w, "  dist / par: %s (best times); dist's fixed cost %s, then %s per element (par: %.2f ns)\n",
		ratio("%.0fx", distT.best(), parT.best()), dur(oneT.best()), perElement(distT.best(), oneT.best(), n), float64(parT.best())/float64(n))
	fmt.Fprintf(w, "  dist's fixed cost (1 item) / Beam's floor: %s the Impulse alone, %s the Create→ParDo0\n",
		ratio("%.2fx", oneT.best(), impulseT.best()), ratio("%.2fx", oneT.best(), createT.best()))
	fmt.Fprintf(w, "  targets: 1e6 items under 3 s (here %s), within 10x of par: %s\n", dur(distT.best()), verdict10x(parT.best(), distT.best(), impulseT.best()))
	return nil
}

// verdict10x judges the target "within 10x of par" from the best times of
// par, dist and Beam's emptiest pipeline on the same runner, in
// hundredths of a millisecond: the target and the floor are often close.
func verdict10x(par, dist, floor time.Duration) string {
	target := 10 * par
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
	switch {
	case dist <= target:
		return fmt.Sprintf("met (10x of par is %s)", ms(target))
	case floor >= target:
		return fmt.Sprintf("missed: 10x of par is %s; Beam's emptiest pipeline alone takes %s here: the target is below Beam's floor", ms(target), ms(floor))
	}
	return fmt.Sprintf("missed: 10x of par is %s; Beam's emptiest pipeline alone takes %s here, which leaves %s (%.0f%% of the target) to all of dist's work; dist takes %s",
		ms(target), ms(floor), ms(target-floor), 100*float64(target-floor)/float64(target), ms(dist))
}

// Beam's universal runner in LOOPBACK mode (prism's too) creates an empty
// placeholder file beamloopbackworker-* in the temporary directory at
// every run and never removes it. dist removes its own; the bench removes
// those of Beam's own pipelines when they are all timed, so that the
// removal is not part of their time. strayFiles lists the placeholders
// present, and removeStrays removes the empty ones not in before.
func strayFiles() map[string]bool {
	names, _ := filepath.Glob(filepath.Join(os.TempDir(), "beamloopbackworker-*"))
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func removeStrays(before map[string]bool) {
	for n := range strayFiles() {
		if fi, err := os.Stat(n); err == nil && !before[n] && fi.Mode().IsRegular() && fi.Size() == 0 {
			os.Remove(n)
		}
	}
}

// impulseOnly runs Beam's emptiest pipeline, an Impulse alone, on the
// runner dist uses.
func impulseOnly(ctx context.Context) error {
	p, s := beam.NewPipelineWithRoot()
	beam.Impulse(s)
	return beamx.Run(ctx, p)
}

// createParDo0 runs a Create of one element into a ParDo0 that does
// nothing: the smallest pipeline in which a worker runs user code.
func createParDo0(ctx context.Context) error {
	p, s := beam.NewPipelineWithRoot()
	beam.ParDo0(s, discard, beam.Create(s, []byte{1}))
	return beamx.Run(ctx, p)
}

// parallelism compares one shard with one per core, on CPU-bound items
// and on the tSNR of a data set of shape d (written shape), the latter
// with par too.
func parallelism(ctx context.Context, w io.Writer, reps, cores int, shape string, d [4]int) error {
	spins, spin1, spinN := spinTimings(ctx, cores)
	items, tsnr1, tsnrN, tsnrPar := tsnrTimings(ctx, cores, d)
	if err := alternate(reps, spin1, spinN, tsnr1, tsnrN, tsnrPar); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d CPU-bound items of about 60 ms:\n", len(spins))
	show(w, spin1, spinN)
	fmt.Fprintf(w, "  speedup of Shards(%d) over Shards(1): %s (best), %s (median); chunks running at once: %s on average\n", cores,
		speedup(spin1.best(), spinN.best(), cores, reps), speedup(spin1.median(), spinN.median(), cores, reps), spinN.inFlight())
	if !sameResults(tsnr1.got.(tsnr.Stats).Result(), tsnrN.got.(tsnr.Stats).Result(), tsnrPar.got.(tsnr.Stats).Result()) {
		return fmt.Errorf("tSNR: the results of Shards(1), Shards(%d) and par differ", cores)
	}
	fmt.Fprintf(w, "tSNR of %s in %d spans (results identical, bit for bit, with par):\n", shape, len(items))
	show(w, tsnr1, tsnrN, tsnrPar)
	fmt.Fprintf(w, "  speedup of Shards(%d) over Shards(1): %s (best), %s (median); chunks running at once: %s on average; dist / par: %s\n", cores,
		speedup(tsnr1.best(), tsnrN.best(), cores, reps), speedup(tsnr1.median(), tsnrN.median(), cores, reps), tsnrN.inFlight(),
		ratio("%.2f", tsnrN.best(), tsnrPar.best()))
	return nil
}

// spinTimings returns 4 CPU-bound items per core and the timings of their
// map with one shard and with one per core, the latter observed.
func spinTimings(ctx context.Context, cores int) ([]int, *timing, *timing) {
	spins := make([]int, 4*cores)
	for i := range spins {
		spins[i] = 5
	}
	spin1 := &timing{name: "CPU-bound map, Shards(1)", f: func() (any, error) {
		return dist.MapReduce(ctx, spins, spin, addU, dist.ChunkSize(1), dist.Shards(1))
	}}
	spinN := &timing{name: fmt.Sprintf("CPU-bound map, Shards(%d)", cores), rec: diag.NewRecorder()}
	spinN.f = func() (any, error) {
		spinN.rec = diag.NewRecorder()
		return dist.MapReduce(ctx, spins, spin, addU, dist.ChunkSize(1), dist.Shards(cores), dist.Observe(spinN.rec))
	}
	return spins, spin1, spinN
}

// tsnrTimings returns about 4 spans per core of a data set of shape d and
// the timings of their tSNR with one shard, with one per core (observed)
// and with par.
func tsnrTimings(ctx context.Context, cores int, d [4]int) (items []span.Span, one, many, withPar *timing) {
	items = span.Spans(d[0], d[1], d[2], d[3], 1, (d[3]+4*cores-1)/(4*cores))
	one = &timing{name: "tSNR, Shards(1)", f: func() (any, error) {
		return dist.MapReduce(ctx, items, span.SpanMoments, tsnr.Merge, dist.ChunkSize(1), dist.Shards(1))
	}}
	many = &timing{name: fmt.Sprintf("tSNR, Shards(%d)", cores), rec: diag.NewRecorder()}
	many.f = func() (any, error) {
		many.rec = diag.NewRecorder()
		return dist.MapReduce(ctx, items, span.SpanMoments, tsnr.Merge, dist.ChunkSize(1), dist.Shards(cores), dist.Observe(many.rec))
	}
	withPar = &timing{name: fmt.Sprintf("tSNR, par.MapReduce Workers(%d)", cores), f: func() (any, error) {
		return par.MapReduce(ctx, items, func(ctx context.Context, c []span.Span) (tsnr.Stats, error) {
			return span.SpanMoments(ctx, c[0])
		}, tsnr.Merge, par.ChunkSize(1))
	}}
	return items, one, many, withPar
}

// sameResults reports whether the tSNR results are identical, bit for bit.
func sameResults(a, b, c tsnr.Result) bool {
	return slices.Equal(a.TSNR, b.TSNR) && slices.Equal(a.Mean, b.Mean) && slices.Equal(a.Std, b.Std) &&
		slices.Equal(a.TSNR, c.TSNR) && slices.Equal(a.Mean, c.Mean) && slices.Equal(a.Std, c.Std)
}
