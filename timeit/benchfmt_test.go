package timeit

import (
	"math"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

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
