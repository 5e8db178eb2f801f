//go:build xperf

// Cross-checks against golang.org/x/perf, which this module cannot build
// until go.sum lists benchmath's dependency github.com/aclements/go-moremath.
// Run with that entry present (or with a copy of go.mod that has it):
//
//	go test -tags xperf ./timeit
//	go test -tags xperf -modfile=/tmp/mf/go.mod ./timeit
package timeit

import (
	"math"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// TestMedianCIMatchesBenchmath checks that medianCI gives benchstat's
// median and interval for every sample size benchmath computes exactly.
func TestMedianCIMatchesBenchmath(t *testing.T) {
	for n := 1; n <= 30; n++ {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64((i*7919)%n) + float64(i)/1000 // distinct, unsorted
		}
		m, lo, hi, warn := medianCI(xs, 0.95)
		s := benchmath.AssumeNothing.Summary(benchmath.NewSample(xs, &benchmath.DefaultThresholds), 0.95)
		if m != s.Center || lo != s.Lo || hi != s.Hi {
			t.Errorf("n=%d: median %v CI [%v, %v]; benchmath %v [%v, %v]", n, m, lo, hi, s.Center, s.Lo, s.Hi)
		}
		var bw string
		if len(s.Warnings) > 0 {
			bw = s.Warnings[0].Error()
		}
		var w string
		if warn != nil {
			w = warn.Error()
		}
		if w != bw {
			t.Errorf("n=%d: warning %q, benchmath %q", n, w, bw)
		}
	}
}

// TestBenchstatParses reads Benchstat's lines with benchfmt, the parser of
// benchstat itself.
func TestBenchstatParses(t *testing.T) {
	r := goldenResult(t)
	rd := benchfmt.NewReader(strings.NewReader(r.Benchstat("Dot product")), "timeit")
	n := 0
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Fatal(rec)
		case *benchfmt.Result:
			if got := string(rec.Name.Full()); got != "Dot_product-8" {
				t.Errorf("name %q", got)
			}
			if rec.Iters != r.Loops {
				t.Errorf("iters %d", rec.Iters)
			}
			ns, ok := rec.Value("sec/op") // benchfmt tidies ns/op to sec/op
			want := float64(r.Samples[n].Elapsed) / float64(r.Loops) / 1e9
			if !ok || math.Abs(ns-want) > 1e-12 {
				t.Errorf("sec/op %v, want %v", ns, want)
			}
			if b, _ := rec.Value("B/op"); b != 2048 {
				t.Errorf("B/op %v", b)
			}
			if a, _ := rec.Value("allocs/op"); a != 3 {
				t.Errorf("allocs/op %v", a)
			}
			n++
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	if n != r.Runs {
		t.Errorf("%d results, want %d", n, r.Runs)
	}
}
