package timeit

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gospeedup/speedup/internal/golden"
)

// goldenResult is a 7-run result with allocations, used by the golden
// tests of Verbose, Benchstat and JSON.
func goldenResult(t *testing.T) *Result {
	t.Helper()
	var ss []Sample
	for _, us := range []float64{82.1, 80.4, 85.9, 82.7, 81.3, 90.2, 82.0} {
		ss = append(ss, Sample{Loops: 10000, Elapsed: time.Duration(us * 1e3 * 10000), Allocs: 30000, Bytes: 20480000})
	}
	r, err := NewResult(ss, 3)
	if err != nil {
		t.Fatal(err)
	}
	r.Procs = 8
	return r
}

// checkGolden compares got with testdata/name. The files written by
// IPython (format_time.golden, lines.golden) are read, never rewritten.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), []byte(got))
}

func TestVerboseGolden(t *testing.T) {
	r := goldenResult(t)
	checkGolden(t, "verbose.golden", r.String()+"\n"+r.Verbose())

	// Too few runs for an interval: say so instead of printing ±Inf.
	few, err := NewResult([]Sample{{Loops: 3, Elapsed: 3000}, {Loops: 3, Elapsed: 3300}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "verbose_few.golden", few.Verbose())
	if few.MedianLow != 0 || few.MedianHigh != 0 {
		t.Errorf("median CI [%v, %v] with 2 runs, want zero", few.MedianLow, few.MedianHigh)
	}
}

func TestBenchstatGolden(t *testing.T) {
	r := goldenResult(t)
	out := r.Benchstat("Dot product")
	checkGolden(t, "benchstat.golden", out)
	checkBenchLines(t, out, "Dot_product-8", r)

	r.Procs = 1 // go test omits -1
	checkBenchLines(t, r.Benchstat("BenchmarkDot/n=100"), "Dot/n=100", r)
	checkBenchLines(t, r.Benchstat(""), "Timeit", r)
}

// checkBenchLines parses lines with the grammar of the Go benchmark format
// (golang.org/x/perf/benchfmt: "Benchmark" NAME, iterations, then value
// unit pairs, fields separated by white space) and checks the values.
func checkBenchLines(t *testing.T, out, name string, r *Result) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != r.Runs {
		t.Fatalf("%d lines for %d runs", len(lines), r.Runs)
	}
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) != 8 || f[0] != "Benchmark"+name || f[3] != "ns/op" || f[5] != "B/op" || f[7] != "allocs/op" {
			t.Fatalf("line %q is not Benchmark%s N X ns/op B B/op A allocs/op", line, name)
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n != r.Loops {
			t.Errorf("iterations %q, want %d", f[1], r.Loops)
		}
		ns, err := strconv.ParseFloat(f[2], 64)
		want := float64(r.Samples[i].Elapsed) / float64(r.Loops)
		if err != nil || math.Abs(ns-want) > 0.5 {
			t.Errorf("ns/op %q, want %v", f[2], want)
		}
		if f[4] != strconv.FormatUint(r.Samples[i].Bytes/uint64(r.Loops), 10) || f[6] != strconv.FormatUint(r.Samples[i].Allocs/uint64(r.Loops), 10) {
			t.Errorf("B/op %s allocs/op %s", f[4], f[6])
		}
	}
}

func TestPrettyNs(t *testing.T) {
	// Widths and decimals of go test's ns/op column.
	for x, want := range map[float64]string{
		82700:  "     82700",
		999.96: "      1000",
		123.45: "       123.5",
		12.345: "        12.35",
		5.3:    "         5.300",
		0.25:   "         0.2500",
		0:      "         0",
	} {
		if got := prettyNs(x); got != want {
			t.Errorf("prettyNs(%v) = %q, want %q", x, got, want)
		}
	}
}

func TestJSON(t *testing.T) {
	r := goldenResult(t)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"line", "warnings", "loops", "runs", "mean_ns", "stdev_ns", "best_ns", "worst_ns",
		"median_ns", "median_ci_ns", "times_ns", "allocs_per_loop", "bytes_per_loop", "precision", "gomaxprocs", "samples"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing from %s", k, b)
		}
	}
	if len(m) != 16 {
		t.Errorf("%d keys, want 16: %s", len(m), b)
	}
	var got struct {
		Line       string     `json:"line"`
		Loops      int        `json:"loops"`
		Runs       int        `json:"runs"`
		MeanNs     float64    `json:"mean_ns"`
		BestNs     float64    `json:"best_ns"`
		WorstNs    float64    `json:"worst_ns"`
		MedianNs   float64    `json:"median_ns"`
		MedianCINs []*float64 `json:"median_ci_ns"`
		TimesNs    []float64  `json:"times_ns"`
		Allocs     float64    `json:"allocs_per_loop"`
		Bytes      float64    `json:"bytes_per_loop"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	close := func(a, b float64) bool { return math.Abs(a-b) < 1e-6 }
	if got.Line != r.String() || got.Loops != 10000 || got.Runs != 7 || !close(got.BestNs, 80400) ||
		!close(got.WorstNs, 90200) || !close(got.MedianNs, 82100) || got.Allocs != 3 || got.Bytes != 2048 {
		t.Errorf("JSON figures: %+v", got)
	}
	if !close(got.MeanNs, (82.1+80.4+85.9+82.7+81.3+90.2+82.0)/7*1e3) {
		t.Errorf("mean_ns %v", got.MeanNs)
	}
	if len(got.MedianCINs) != 2 || got.MedianCINs[0] == nil || !close(*got.MedianCINs[0], 80400) || !close(*got.MedianCINs[1], 90200) {
		t.Errorf("median_ci_ns %v", got.MedianCINs)
	}
	if len(got.TimesNs) != 7 || !close(got.TimesNs[2], 85900) {
		t.Errorf("times_ns %v", got.TimesNs)
	}

	// Too few runs: the unbounded ends are null, and it still encodes.
	few, _ := NewResult([]Sample{{Loops: 1, Elapsed: 5}}, 3)
	b, err = json.Marshal(few)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"median_ci_ns":[null,null]`) {
		t.Errorf("few runs: %s", b)
	}
	// Sub-nanosecond precision survives: 5.3 ns per loop is not 5 ns.
	sub, _ := NewResult([]Sample{{Loops: 10, Elapsed: 53}}, 3)
	b, _ = json.Marshal(sub)
	if !strings.Contains(string(b), `"mean_ns":5.3`) || !strings.Contains(sub.String(), "5.3 ns") {
		t.Errorf("sub-ns: %s / %s", b, sub)
	}
}

func TestResultFromTimesOnly(t *testing.T) {
	// A Result built by hand, without samples, still formats.
	r := &Result{Loops: 100, Runs: 2, Times: []time.Duration{time.Microsecond, 3 * time.Microsecond}}
	if want := "2 µs ± 1 µs per loop (mean ± std. dev. of 2 runs, 100 loops each)"; r.String() != want {
		t.Errorf("got %q", r.String())
	}
	if got := r.Benchstat("X"); !strings.HasPrefix(got, "BenchmarkX\t     100\t      1000 ns/op") {
		t.Errorf("got %q", got)
	}
}

func TestFsum(t *testing.T) {
	tests := []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}, 1}, // naive sum gives 0.9999999999999999
		{[]float64{1e100, 1, -1e100, 1e-100, 1e50, -1, -1e50}, 1e-100},   // Python's test_fsum
		{[]float64{1, 1e100, 1, -1e100}, 2},
		{[]float64{math.Ldexp(1, 53), -0.5, -math.Ldexp(1, -54)}, math.Ldexp(1, 53) - 1}, // half-way case, rounded as CPython
	}
	for _, tt := range tests {
		if got := fsum(tt.xs); got != tt.want {
			t.Errorf("fsum(%v) = %v, want %v", tt.xs, got, tt.want)
		}
	}
}

func TestMedianCI(t *testing.T) {
	seq := func(n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(n - i) // reversed, to exercise the sort
		}
		return xs
	}
	tests := []struct {
		n              int
		median, lo, hi float64
	}{
		// Hand-computed with B(n, 1/2): the interval [x(l), x(r)] has
		// coverage 1 - 2·P(X < l).
		{7, 4, 1, 7},   // [x1, x7]: 1 - 2/128 = 0.984; [x2, x6] only 0.875
		{6, 3.5, 1, 6}, // 1 - 2/64 = 0.969
		{10, 5.5, 2, 9},
		{20, 10.5, 6, 15},
		{5000, 2500.5, 2431, 2570}, // normal approximation: 2500 ± 1.96·√1250 ≈ ±69.3
	}
	for _, tt := range tests {
		m, lo, hi, warn := medianCI(seq(tt.n), 0.95)
		if m != tt.median || lo != tt.lo || hi != tt.hi || warn != nil {
			t.Errorf("n=%d: median %v CI [%v, %v] (%v), want %v [%v, %v]", tt.n, m, lo, hi, warn, tt.median, tt.lo, tt.hi)
		}
	}
	// Five samples cannot reach 95% ([x1, x5] covers 1 - 2/32 = 0.9375);
	// the search, biased to the left, opens the low end: [-Inf, x5].
	_, lo, hi, warn := medianCI(seq(5), 0.95)
	if !math.IsInf(lo, -1) || hi != 5 || warn == nil ||
		warn.Error() != "need >= 6 samples for confidence interval at level 0.95" {
		t.Errorf("n=5: [%v, %v] %v", lo, hi, warn)
	}
}

func TestFormatCount(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 3: "3", 2048: "2,048", 0.5: "0.5", 1.25: "1.25", 0.001234: "0.00123", 1234.6: "1,235"} {
		if got := formatCount(v); got != want {
			t.Errorf("formatCount(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestSanitizeBenchName(t *testing.T) {
	for in, want := range map[string]string{
		"Dot":             "Dot",
		"BenchmarkDot":    "Dot",
		" dot product\t":  "dot_product",
		"":                "Timeit",
		"Benchmark":       "Timeit",
		"Dot/n=10000":     "Dot/n=10000",
		"line\nbreak":     "line_break",
		"ünïcode ok":      "ünïcode_ok",
		"Benchmark Foo":   "_Foo",
		"Sweep/s=\"a b\"": "Sweep/s=\"a_b\"",
	} {
		if got := sanitizeBenchName(in); got != want {
			t.Errorf("sanitizeBenchName(%q) = %q, want %q", in, got, want)
		}
	}
}
