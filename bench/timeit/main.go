// Command timeit compares the library timing loop of package timeit with
// testing.B on the same functions, in one process, side by side:
//
//	go run ./bench/timeit
//
// For a function of about 100 µs and one of about 5 ns it prints the
// testing.B ns/op (b.Loop), the timeit.Func mean per loop and their ratio,
// for several alternating rounds (so that a drift of the machine shows as
// a drift, not as a bias of one method), then the ratio of the medians over
// the rounds, which decides, and the ratio of the minimums, which a busy
// machine disturbs least.
// The targets of issue 3 are a ratio within 5% of 1 for the 100 µs function
// and within 10% for the 5 ns one; with fewer than 3 rounds the verdict is
// "too short" (bench/internal/benchcheck), and the command fails only on
// a MISSED or INVALID one. It also prints the cost of the timing loop
// itself: each method timing an empty function.
package main

import (
	"flag"
	"fmt"
	"math/bits"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gospeedup/speedup/bench/internal/benchcheck"
	"github.com/gospeedup/speedup/timeit"
)

// state feeds the workloads so the compiler cannot precompute them, and
// sink keeps their results alive: it is written and, on purpose, never
// read.
var state uint64 = 0x9E3779B97F4A7C15

//lint:ignore U1000 written by slow so that its loop is not dead code
var sink uint64

// slow takes about 100 µs: a dependent chain of xorshift steps, bound by
// the CPU rather than by memory, so its time is stable.
//
//go:noinline
func slow() {
	x := state
	for range 100_000 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	sink = x
}

// fast takes about 5 ns: a short dependent chain of multiplications and
// rotations (the rotations stop the compiler from folding the
// multiplications into one) whose result feeds the next call, like a
// random number generator's step. Without that dependency consecutive
// calls would overlap in the CPU and the function would not cost 5 ns
// under any loop: the figure would measure the loop, not the function.
//
//go:noinline
func fast() {
	x := state
	x = bits.RotateLeft64(x*0x9E3779B97F4A7C15, 31)
	x = bits.RotateLeft64(x*0xBF58476D1CE4E5B9, 27)
	x = bits.RotateLeft64(x*0x94D049BB133111EB, 33)
	x = bits.RotateLeft64(x*0x9E3779B97F4A7C15, 29)
	state = x | 1
}

//go:noinline
func empty() {}

// testingNs is ns/op from testing.Benchmark with b.Loop, the way go test
// -bench measures, kept as a float: NsPerOp truncates 5.3 ns to 5.
func testingNs(f func()) float64 {
	r := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			f()
		}
	})
	if r.N == 0 {
		// testing.Benchmark's result for a benchmark that failed.
		fmt.Fprintln(os.Stderr, "timeit: testing.Benchmark made no iterations")
		os.Exit(1)
	}
	return float64(r.T.Nanoseconds()) / float64(r.N)
}

// timeitNs is the mean per loop of timeit.Func, IPython's figure.
func timeitNs(f func()) (float64, *timeit.Result) {
	r, err := timeit.Func(f, timeit.Options{})
	if err == nil && len(r.Samples) == 0 {
		err = fmt.Errorf("no samples")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "timeit:", err)
		os.Exit(1)
	}
	// The mean from the raw samples: r.Mean is rounded to the
	// nanosecond, too coarse for a 5 ns function.
	var sum float64
	for _, s := range r.Samples {
		sum += float64(s.Elapsed) / float64(s.Loops)
	}
	return sum / float64(len(r.Samples)), r
}

func main() {
	rounds := flag.Int("rounds", 3, "alternating rounds per function")
	flag.Parse()
	if *rounds < 1 {
		fmt.Fprintln(os.Stderr, "timeit: -rounds must be at least 1")
		os.Exit(2)
	}
	testing.Init()

	cases := []struct {
		name   string
		f      func()
		target float64
	}{
		{"~100µs", slow, 0.05},
		{"~5ns", fast, 0.10},
	}
	fmt.Printf("%-8s %5s %14s %14s %8s\n", "func", "round", "testing ns/op", "timeit ns/op", "ratio")
	ok := true
	for _, c := range cases {
		var tb, ti []float64
		for i := range *rounds {
			b := testingNs(c.f)
			m, r := timeitNs(c.f)
			tb, ti = append(tb, b), append(ti, m)
			fmt.Printf("%-8s %5d %14.4g %14.4g %8.3f   %s\n", c.name, i+1, b, m, m/b, r)
		}
		ratio, verdict := judge(ti, tb, c.target)
		if verdict == "MISSED" || strings.HasPrefix(verdict, "INVALID") {
			ok = false
		}
		fmt.Printf("%-8s timeit/testing: ratio of medians %.3f (target 1 ± %.0f%%) %s; ratio of minimums %.3f\n\n",
			c.name, ratio, c.target*100, verdict, slices.Min(ti)/slices.Min(tb))
	}

	// The loops' own cost: each method timing a function that does nothing.
	b := testingNs(empty)
	m, _ := timeitNs(empty)
	fmt.Printf("empty func: testing %.3g ns/op, timeit %.3g ns/op (each loop's cost around a call that does nothing;\n"+
		"  with real work in the call the CPU overlaps most of it)\n", b, m)
	if !ok {
		os.Exit(1)
	}
}

// judge returns the ratio of the medians of timeit's (ti) and testing.B's
// (tb) ns/op over the rounds, and its verdict against 1 ± target: a ratio
// beyond 100x either way (a zero or missing figure, deleted work) is
// INVALID, and fewer than benchcheck.MinRuns rounds are too short to
// judge.
func judge(ti, tb []float64, target float64) (float64, string) {
	ratio := benchcheck.Median(ti) / benchcheck.Median(tb)
	return ratio, benchcheck.Verdict(ratio >= 1-target && ratio <= 1+target,
		benchcheck.Ratio("timeit/testing", ratio, 0.01, 100), benchcheck.EnoughOf(len(ti), "round"))
}
