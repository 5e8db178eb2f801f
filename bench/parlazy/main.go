// Command parlazy measures the overheads of packages par and lazy side by
// side, in one run, against the targets of issue 5:
//
//   - lazy: scheduling cost per task on graphs of 100,000 trivial tasks (a
//     wide sum of Call1 leaves, a 100,000-deep chain) at most 1 µs;
//   - par.Map over 1,000,000 trivial items within 1.2x of a hand-written
//     chunked errgroup loop with the same number of workers, and no slower
//     than a serial loop (issue 9: par.Map's adaptive start keeps such a
//     loop serial, where a second core does not pay).
//
// It also prices the optional diagnostics (an observer that does nothing,
// pprof labels per task) so that their defaults can be judged.
//
//	go run ./bench/parlazy [-reps 15] [-n 100000] [-items 1000000]
//
// Each figure is the median of -reps runs, runs of competing variants
// interleaved (A B C C B A ...) so that a noisy neighbour hurts them alike;
// ± is the relative half-width of the middle half of the runs. A figure
// outside what is physically possible (a speedup above the cores, a
// negative cost) is printed INVALID, never ok; with fewer than 3 runs the
// spread reads "n/a (too few runs)" and a verdict "too short"
// (bench/internal/benchcheck).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/gospeedup/speedup/bench/internal/benchcheck"
	"github.com/gospeedup/speedup/diag"
	"github.com/gospeedup/speedup/lazy"
	"github.com/gospeedup/speedup/par"
)

func main() {
	reps := flag.Int("reps", 15, "runs per figure (the median is printed)")
	n := flag.Int("n", 100_000, "tasks per lazy graph")
	items := flag.Int("items", 1_000_000, "items per par.Map")
	flag.Parse()
	if *reps < 1 || *n < 2 || *items < 1 {
		fmt.Fprintln(os.Stderr, "parlazy: -reps and -items must be at least 1, -n at least 2")
		os.Exit(2)
	}
	ctx := context.Background()
	procs := runtime.GOMAXPROCS(0)
	fmt.Printf("parlazy: %s %s/%s, GOMAXPROCS=%d, NumCPU=%d, median of %d runs\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, procs, runtime.NumCPU(), *reps)

	benchLazy(ctx, os.Stdout, *reps, *n)
	benchPar(ctx, os.Stdout, *reps, *items, procs)
}

// benchLazy prints the build and compute costs per task of lazy graphs of
// n trivial tasks, the median of reps runs each, and the cost of the pprof
// labels.
func benchLazy(ctx context.Context, w io.Writer, reps, n int) {
	fmt.Fprintf(w, "lazy: %d trivial tasks (target: scheduling <= 1000 ns/task)\n", n)
	fmt.Fprintf(w, "  %-34s %12s %12s\n", "graph", "build ns/task", "compute ns/task")
	type graph struct {
		name  string
		build func() *lazy.Node[int]
		opts  []lazy.Option
	}
	graphs := []graph{
		{"wide sum, Workers(GOMAXPROCS)", func() *lazy.Node[int] { return wide(n) }, nil},
		{"wide sum, Workers(1)", func() *lazy.Node[int] { return wide(n) }, []lazy.Option{lazy.Workers(1)}},
		{"chain, Workers(GOMAXPROCS)", func() *lazy.Node[int] { return chain(n) }, nil},
		{"chain, Workers(1)", func() *lazy.Node[int] { return chain(n) }, []lazy.Option{lazy.Workers(1)}},
		{"wide sum + no-op observer", func() *lazy.Node[int] { return wide(n) }, []lazy.Option{lazy.Observe(nop{})}},
		{"wide sum, Labels(false)", func() *lazy.Node[int] { return wide(n) }, []lazy.Option{lazy.Labels(false)}},
		{"chain, Labels(false)", func() *lazy.Node[int] { return chain(n) }, []lazy.Option{lazy.Labels(false)}},
	}
	worst := 0.0
	for gi, g := range graphs {
		var builds, computes []float64
		for range reps {
			runtime.GC()
			t0 := time.Now()
			root := g.build()
			t1 := time.Now()
			v, err := lazy.Compute(ctx, root, g.opts...)
			t2 := time.Now()
			if err != nil || v <= 0 {
				fail("lazy %s: %v, %v", g.name, v, err)
			}
			builds = append(builds, float64(t1.Sub(t0).Nanoseconds())/float64(n))
			computes = append(computes, float64(t2.Sub(t1).Nanoseconds())/float64(n))
		}
		c := benchcheck.Median(computes)
		if gi < 4 {
			worst = max(worst, c)
		}
		fmt.Fprintf(w, "  %-34s %12.0f %12.0f\n", g.name, benchcheck.Median(builds), c)
	}
	fmt.Fprintf(w, "  worst compute cost with the defaults (pprof labels on): %.0f ns/task: %s\n", worst, benchcheck.Verdict(worst <= 1000, benchcheck.Cost("compute", worst), benchcheck.Enough(reps)))
	labelCost := pprofDoCost()
	fmt.Fprintf(w, "  pprof.Do alone: %.0f ns/call (what Labels(false) saves per task)\n\n", labelCost)
}

// benchPar prints the times of par.Map, a chunked errgroup loop and a
// serial loop over items trivial items, the median of reps runs each,
// and their ratios.
func benchPar(ctx context.Context, w io.Writer, reps, items, procs int) {
	fmt.Fprintf(w, "par.Map over %d trivial items, %d workers (targets: <= 1.20x errgroup; no slower than the serial loop)\n", items, procs)
	xs := make([]int, items)
	for i := range xs {
		xs[i] = i
	}
	fn := func(ctx context.Context, v int) (int, error) { return 2*v + 1, nil }
	want := 2*(len(xs)-1) + 1
	check := func(name string, out []int, err error) {
		if err != nil || out[len(out)-1] != want {
			fail("%s: wrong result (%v)", name, err)
		}
	}
	// The three in turns, the order reversed every other round, each after
	// a GC (benchcheck.Alternate): none of them profits from the others'
	// warm caches or pays for their garbage.
	runs := benchcheck.Alternate(reps,
		benchcheck.Time(func() { out, err := par.Map(ctx, xs, fn); check("par.Map", out, err) }),
		benchcheck.Time(func() { out, err := errgroupMap(ctx, xs, fn, procs); check("errgroup", out, err) }),
		benchcheck.Time(func() { out, err := serialMap(ctx, xs, fn); check("serial", out, err) }))
	mp, me, ms := benchcheck.Median(runs[0]), benchcheck.Median(runs[1]), benchcheck.Median(runs[2])
	for i, name := range []string{"par.Map (automatic chunks)", "errgroup, one chunk per worker", "serial loop"} {
		m := benchcheck.Median(runs[i])
		fmt.Fprintf(w, "  %-34s %10.2f ms %8.2f ns/item %s\n", name, ms2(m), float64(m.Nanoseconds())/float64(items), benchcheck.SpreadText(runs[i], 0))
	}
	// How par.Map ran: one observed run tells whether the adaptive start
	// kept it serial.
	chunks, workers := observedMap(ctx, xs, fn)
	fmt.Fprintf(w, "  par.Map ran its %d chunks on %d of %d workers\n", chunks, workers, procs)
	// Each parallel version against the serial loop can be at most as many
	// times faster as there are cores; par.Map against errgroup at most
	// that many times slower or faster.
	c := benchcheck.Cores(procs)
	vsErrgroup := float64(mp) / float64(me)
	vsSerial := float64(ms) / float64(mp)
	egSpeedup := float64(ms) / float64(me)
	invalid := benchcheck.First(benchcheck.Speedup(vsSerial, procs), benchcheck.Speedup(egSpeedup, procs),
		benchcheck.Ratio("par.Map / errgroup", vsErrgroup, 1/float64(c), float64(c)))
	enough := benchcheck.Enough(reps)
	fmt.Fprintf(w, "  speedup over the serial loop: par.Map %.2fx, errgroup %.2fx\n", vsSerial, egSpeedup)
	fmt.Fprintf(w, "  par.Map / errgroup = %.2fx: %s\n", vsErrgroup, benchcheck.Verdict(vsErrgroup <= 1.2, invalid, enough))
	fmt.Fprintf(w, "  par.Map / serial loop = %.2fx: %s\n", 1/vsSerial, benchcheck.Verdict(1/vsSerial <= 1.1, invalid, enough))
}

// observedMap runs par.Map once under a recorder and returns how many
// chunks it ran and on how many workers.
func observedMap(ctx context.Context, xs []int, fn func(context.Context, int) (int, error)) (chunks, workers int) {
	rec := diag.NewRecorder()
	if _, err := par.Map(ctx, xs, fn, par.Observe(rec)); err != nil {
		fail("par.Map: %v", err)
	}
	used := map[int]bool{}
	for _, t := range rec.Tasks() {
		used[t.Worker] = true
	}
	return len(rec.Tasks()), len(used)
}

func ms2(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// wide is sum(inc(0), inc(1), ..., inc(n-2)): n-1 leaves and one CallN.
func wide(n int) *lazy.Node[int] {
	leaves := make([]*lazy.Node[int], n-1)
	for i := range leaves {
		leaves[i] = lazy.Call1(inc, lazy.Value(i))
	}
	return lazy.CallN(sum, leaves...)
}

// chain is inc(inc(...inc(0))), n deep.
func chain(n int) *lazy.Node[int] {
	x := lazy.Value(0)
	for range n {
		x = lazy.Call1(inc, x)
	}
	return x
}

func inc(x int) int { return x + 1 }

func sum(xs []int) int {
	s := 0
	for _, v := range xs {
		s += v
	}
	return s
}

// errgroupMap is what one writes by hand: one contiguous chunk per worker.
func errgroupMap[T, R any](ctx context.Context, items []T, fn func(context.Context, T) (R, error), workers int) ([]R, error) {
	out := make([]R, len(items))
	g, ctx := errgroup.WithContext(ctx)
	size := (len(items) + workers - 1) / workers
	for lo := 0; lo < len(items); lo += size {
		hi := min(lo+size, len(items))
		g.Go(func() error {
			for i := lo; i < hi; i++ {
				r, err := fn(ctx, items[i])
				if err != nil {
					return err
				}
				out[i] = r
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// serialMap is the serial reference; noinline so that, like the parallel
// versions, it calls fn through a func value instead of inlining it.
//
//go:noinline
func serialMap[T, R any](ctx context.Context, items []T, fn func(context.Context, T) (R, error)) ([]R, error) {
	out := make([]R, len(items))
	for i, v := range items {
		r, err := fn(ctx, v)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

// pprofDoCost is the price of one pprof.Do with a task label.
func pprofDoCost() float64 {
	const k = 200_000
	ctx := context.Background()
	labels := pprof.Labels("task", "inc#12345")
	f := func(context.Context) {}
	t0 := time.Now()
	for range k {
		pprof.Do(ctx, labels, f)
	}
	return float64(time.Since(t0).Nanoseconds()) / k
}

type nop struct{}

func (nop) Begin(int, int)      {}
func (nop) TaskStart(diag.Task) {}
func (nop) TaskEnd(diag.Task)   {}
func (nop) End()                {}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "parlazy: "+format+"\n", args...)
	os.Exit(1)
}
