// Command parlazy measures the overheads of packages par and lazy side by
// side, in one run, against the targets of issue 5:
//
//   - lazy: scheduling cost per task on graphs of 100,000 trivial tasks (a
//     wide sum of Call1 leaves, a 100,000-deep chain) at most 1 µs;
//   - par.Map over 1,000,000 trivial items within 1.2x of a hand-written
//     chunked errgroup loop with the same number of workers.
//
// It also prices the optional diagnostics (an observer that does nothing,
// pprof labels per task) so that their defaults can be judged.
//
//	go run ./bench/parlazy [-reps 15] [-n 100000] [-items 1000000]
//
// Each figure is the median of -reps runs, runs of competing variants
// interleaved so that a noisy neighbour hurts them alike.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/gospeedup/speedup/diag"
	"github.com/gospeedup/speedup/lazy"
	"github.com/gospeedup/speedup/par"
)

func main() {
	reps := flag.Int("reps", 15, "runs per figure (the median is printed)")
	n := flag.Int("n", 100_000, "tasks per lazy graph")
	items := flag.Int("items", 1_000_000, "items per par.Map")
	flag.Parse()
	ctx := context.Background()
	procs := runtime.GOMAXPROCS(0)
	fmt.Printf("parlazy: %s %s/%s, GOMAXPROCS=%d, NumCPU=%d, median of %d runs\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, procs, runtime.NumCPU(), *reps)

	fmt.Printf("lazy: %d trivial tasks (target: scheduling <= 1000 ns/task)\n", *n)
	fmt.Printf("  %-34s %12s %12s\n", "graph", "build ns/task", "compute ns/task")
	type graph struct {
		name  string
		build func() *lazy.Node[int]
		opts  []lazy.Option
	}
	graphs := []graph{
		{"wide sum, Workers(GOMAXPROCS)", func() *lazy.Node[int] { return wide(*n) }, nil},
		{"wide sum, Workers(1)", func() *lazy.Node[int] { return wide(*n) }, []lazy.Option{lazy.Workers(1)}},
		{"chain, Workers(GOMAXPROCS)", func() *lazy.Node[int] { return chain(*n) }, nil},
		{"chain, Workers(1)", func() *lazy.Node[int] { return chain(*n) }, []lazy.Option{lazy.Workers(1)}},
		{"wide sum + no-op observer", func() *lazy.Node[int] { return wide(*n) }, []lazy.Option{lazy.Observe(nop{})}},
		{"wide sum, Labels(false)", func() *lazy.Node[int] { return wide(*n) }, []lazy.Option{lazy.Labels(false)}},
		{"chain, Labels(false)", func() *lazy.Node[int] { return chain(*n) }, []lazy.Option{lazy.Labels(false)}},
	}
	worst := 0.0
	for gi, g := range graphs {
		var builds, computes []float64
		for range *reps {
			runtime.GC()
			t0 := time.Now()
			root := g.build()
			t1 := time.Now()
			v, err := lazy.Compute(ctx, root, g.opts...)
			t2 := time.Now()
			if err != nil || v <= 0 {
				fail("lazy %s: %v, %v", g.name, v, err)
			}
			builds = append(builds, float64(t1.Sub(t0).Nanoseconds())/float64(*n))
			computes = append(computes, float64(t2.Sub(t1).Nanoseconds())/float64(*n))
		}
		c := median(computes)
		if gi < 4 {
			worst = max(worst, c)
		}
		fmt.Printf("  %-34s %12.0f %12.0f\n", g.name, median(builds), c)
	}
	fmt.Printf("  worst compute cost with the defaults (pprof labels on): %.0f ns/task: %s\n", worst, verdict(worst <= 1000))
	labelCost := pprofDoCost()
	fmt.Printf("  pprof.Do alone: %.0f ns/call (what Labels(false) saves per task)\n\n", labelCost)

	fmt.Printf("par.Map over %d trivial items, %d workers (target: <= 1.20x errgroup)\n", *items, procs)
	xs := make([]int, *items)
	for i := range xs {
		xs[i] = i
	}
	fn := func(ctx context.Context, v int) (int, error) { return 2*v + 1, nil }
	var tPar, tEg, tSerial []float64
	for range *reps {
		runtime.GC()
		t0 := time.Now()
		a, err := par.Map(ctx, xs, fn)
		t1 := time.Now()
		if err != nil || a[len(a)-1] != 2*(len(a)-1)+1 {
			fail("par.Map: %v", err)
		}
		runtime.GC()
		t2 := time.Now()
		b, err := errgroupMap(ctx, xs, fn, procs)
		t3 := time.Now()
		if err != nil || b[len(b)-1] != a[len(a)-1] {
			fail("errgroup: %v", err)
		}
		runtime.GC()
		t4 := time.Now()
		c, _ := serialMap(ctx, xs, fn)
		t5 := time.Now()
		if c[len(c)-1] != a[len(a)-1] {
			fail("serial")
		}
		tPar = append(tPar, float64(t1.Sub(t0).Nanoseconds()))
		tEg = append(tEg, float64(t3.Sub(t2).Nanoseconds()))
		tSerial = append(tSerial, float64(t5.Sub(t4).Nanoseconds()))
	}
	mp, me, ms := median(tPar), median(tEg), median(tSerial)
	fmt.Printf("  %-34s %10.2f ms %8.2f ns/item\n", "par.Map (automatic chunks)", mp/1e6, mp/float64(*items))
	fmt.Printf("  %-34s %10.2f ms %8.2f ns/item\n", "errgroup, one chunk per worker", me/1e6, me/float64(*items))
	fmt.Printf("  %-34s %10.2f ms %8.2f ns/item\n", "serial loop", ms/1e6, ms/float64(*items))
	ratio := mp / me
	fmt.Printf("  par.Map / errgroup = %.2fx: %s\n", ratio, verdict(ratio <= 1.2))
}

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

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func verdict(ok bool) string {
	if ok {
		return "OK"
	}
	return "MISSED"
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "parlazy: "+format+"\n", args...)
	os.Exit(1)
}
