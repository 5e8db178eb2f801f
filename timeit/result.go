package timeit

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Result is the outcome of a measurement: Runs runs of Loops loops each.
//
// The duration fields are per loop and rounded to the nanosecond. The
// formatting methods and the JSON do not use them: they recompute every
// figure from Samples in float64 seconds, as IPython does from its run
// times, so that a 5.3 ns loop prints as 5.3 ns and not as 5 ns.
type Result struct {
	// Loops is the number of executions of the statement in each run.
	Loops int
	// Runs is the number of runs.
	Runs int
	// Times is the per-loop time of each run (Elapsed/Loops), len == Runs.
	Times []time.Duration
	// Samples are the runs as the Sampler reported them.
	Samples []Sample

	// Mean and Stdev are IPython's figures: the mean of the per-loop times
	// and their population standard deviation (numpy.std, ddof=0).
	Mean, Stdev time.Duration
	// Best, Worst and Median are the smallest, largest and median per-loop
	// times.
	Best, Worst, Median time.Duration
	// MedianLow and MedianHigh bound the 95% confidence interval of the
	// median, computed as benchstat does (distribution-free, from order
	// statistics). Both are zero when there are too few runs for a finite
	// interval (fewer than 6); Verbose then says so.
	MedianLow, MedianHigh time.Duration

	// AllocsPerLoop and BytesPerLoop are the heap allocations and bytes
	// allocated per loop, averaged over all runs.
	AllocsPerLoop, BytesPerLoop float64

	// Precision is the number of significant digits of the printed times.
	Precision int
	// Procs is GOMAXPROCS during the measurement; Benchstat appends it to
	// the benchmark name as go test does.
	Procs int
}

// NewResult computes a Result from raw samples, all of which must have the
// same positive loop count. Precision below 1 means DefaultPrecision.
// Procs is set to this process's GOMAXPROCS; a caller whose samples come
// from another process may overwrite it.
func NewResult(samples []Sample, precision int) (*Result, error) {
	if len(samples) == 0 {
		return nil, errors.New("timeit: no runs to summarize")
	}
	loops := samples[0].Loops
	for i, s := range samples {
		if s.Loops < 1 {
			return nil, fmt.Errorf("timeit: run %d has %d loops; need at least 1", i+1, s.Loops)
		}
		if s.Loops != loops {
			return nil, fmt.Errorf("timeit: run %d has %d loops, run 1 has %d; all runs must have the same loop count", i+1, s.Loops, loops)
		}
		if s.Elapsed < 0 {
			return nil, fmt.Errorf("timeit: run %d has a negative elapsed time %v", i+1, s.Elapsed)
		}
	}
	if precision < 1 {
		precision = DefaultPrecision
	}
	r := &Result{
		Loops:     loops,
		Runs:      len(samples),
		Samples:   append([]Sample(nil), samples...),
		Precision: precision,
		Procs:     runtime.GOMAXPROCS(0),
	}
	st := r.stats()
	r.Times = make([]time.Duration, len(st.times))
	for i, t := range st.times {
		r.Times[i] = secondsToDuration(t)
	}
	r.Mean = secondsToDuration(st.mean)
	r.Stdev = secondsToDuration(st.stdev)
	r.Best = secondsToDuration(st.best)
	r.Worst = secondsToDuration(st.worst)
	r.Median = secondsToDuration(st.median)
	if st.ciWarn == nil {
		r.MedianLow = secondsToDuration(st.lo)
		r.MedianHigh = secondsToDuration(st.hi)
	}
	r.AllocsPerLoop, r.BytesPerLoop = st.allocs, st.bytes
	return r, nil
}

func secondsToDuration(s float64) time.Duration {
	return time.Duration(math.Round(s * 1e9))
}

// stats are the figures of a Result in float64 seconds.
type stats struct {
	times               []float64 // per loop, one per run
	mean, stdev         float64
	best, worst, median float64
	lo, hi              float64 // median CI; ±Inf when too few runs
	ciWarn              error
	allocs, bytes       float64 // per loop
	totalLoops          float64
}

// stats recomputes every figure, in seconds, from Samples (or from Times
// for a Result built by hand without samples).
func (r *Result) stats() stats { return r.statsIn(false) }

// statsIn computes the figures in seconds, with IPython's arithmetic for
// the run times (elapsed seconds / loops), or in nanoseconds (elapsed ns /
// loops), which the JSON uses so that 82.1 µs is 82100 and not
// 82099.99999999999.
func (r *Result) statsIn(nanos bool) stats {
	var st stats
	if len(r.Samples) > 0 {
		var allocs, bytes float64
		for _, s := range r.Samples {
			loops := max(s.Loops, 1)
			// Same arithmetic as IPython: run time in seconds divided
			// by the loop count.
			t := float64(s.Elapsed) / 1e9 / float64(loops)
			if nanos {
				t = float64(s.Elapsed) / float64(loops)
			}
			st.times = append(st.times, t)
			allocs += float64(s.Allocs)
			bytes += float64(s.Bytes)
			st.totalLoops += float64(loops)
		}
		if st.totalLoops > 0 {
			st.allocs, st.bytes = allocs/st.totalLoops, bytes/st.totalLoops
		}
	} else {
		for _, t := range r.Times {
			if nanos {
				st.times = append(st.times, float64(t))
			} else {
				st.times = append(st.times, t.Seconds())
			}
		}
		st.allocs, st.bytes = r.AllocsPerLoop, r.BytesPerLoop
	}
	if len(st.times) == 0 {
		st.ciWarn = errors.New("no runs")
		return st
	}
	st.mean, st.stdev = meanStdev(st.times)
	st.best, st.worst = st.times[0], st.times[0]
	for _, t := range st.times {
		st.best, st.worst = min(st.best, t), max(st.worst, t)
	}
	st.median, st.lo, st.hi, st.ciWarn = medianCI(st.times, ciConfidence)
	return st
}

func (r *Result) precision() int {
	if r.Precision < 1 {
		return DefaultPrecision
	}
	return r.Precision
}

// String returns IPython's %timeit line, byte for byte:
//
//	82.7 µs ± 1.2 µs per loop (mean ± std. dev. of 7 runs, 10,000 loops each)
func (r *Result) String() string {
	st := r.stats()
	p := r.precision()
	return fmt.Sprintf("%s \u00b1 %s per loop (mean \u00b1 std. dev. of %d run%s, %s loop%s each)",
		FormatTime(st.mean, p), FormatTime(st.stdev, p),
		r.Runs, plural(r.Runs), thousands(int64(r.Loops)), plural(r.Loops))
}

// CachingWarning is IPython's warning that the slowest run was much slower
// than the fastest.
type CachingWarning struct {
	// Ratio is the slowest per-loop time divided by the fastest.
	Ratio float64
}

// Error is IPython's message, with the ratio to two decimals ("%0.2f").
func (w *CachingWarning) Error() string {
	return fmt.Sprintf("The slowest run took %.2f times longer than the fastest. This could mean that an intermediate result is being cached.", w.Ratio)
}

// Warnings returns the warnings IPython prints before its line: a
// *CachingWarning when the slowest run is more than 4 times the fastest and
// longer than 1 µs per loop (IPython's rule, which ignores sub-microsecond
// loops where such ratios are common and harmless). The confidence
// interval's sample-size note is in Verbose, not here, because IPython has
// no such warning and the default 7 runs never trigger it.
func (r *Result) Warnings() []error {
	st := r.stats()
	var ws []error
	if len(st.times) > 0 && st.worst > 4*st.best && st.best > 0 && st.worst > 1e-6 {
		ws = append(ws, &CachingWarning{Ratio: st.worst / st.best})
	}
	return ws
}

// Verbose returns the extra lines of speedup timeit -v, one aligned block
// ending in a newline:
//
//	min      80.1 µs per loop
//	median   82.3 µs per loop, 95% CI [81 µs, 84.2 µs]
//	max      90.6 µs per loop
//	allocs   3 per loop
//	bytes    2,048 per loop
func (r *Result) Verbose() string {
	st := r.stats()
	p := r.precision()
	median := FormatTime(st.median, p) + " per loop"
	if st.ciWarn == nil {
		median += fmt.Sprintf(", 95%% CI [%s, %s]", FormatTime(st.lo, p), FormatTime(st.hi, p))
	} else {
		median += " (no 95% CI: " + st.ciWarn.Error() + ")"
	}
	rows := [][2]string{
		{"min", FormatTime(st.best, p) + " per loop"},
		{"median", median},
		{"max", FormatTime(st.worst, p) + " per loop"},
		{"allocs", formatCount(st.allocs) + " per loop"},
		{"bytes", formatCount(st.bytes) + " per loop"},
	}
	var b strings.Builder
	for _, row := range rows {
		fmt.Fprintf(&b, "%-8s %s\n", row[0], row[1])
	}
	return b.String()
}

// formatCount writes a per-loop count: whole numbers with thousands
// separators, fractions (an allocation every other loop) with up to three
// significant digits after the point.
func formatCount(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e18 {
		return thousands(int64(v))
	}
	if v >= 1000 {
		return thousands(int64(math.Round(v)))
	}
	return formatG(v, 3)
}

// Benchstat returns one line per run in Go's benchmark format, with the
// same layout as go test -bench -benchmem, so that benchstat can compare two
// measurements:
//
//	BenchmarkDot-8   	   10000	     82700 ns/op	       0 B/op	       0 allocs/op
//
// name is sanitized: a leading "Benchmark" is dropped (it is added back),
// white space becomes '_', and an empty name becomes "Timeit". The
// "-P" suffix is GOMAXPROCS, omitted when it is 1, as go test does.
// B/op and allocs/op are truncated integers, as go test reports them.
func (r *Result) Benchstat(name string) string {
	full := "Benchmark" + sanitizeBenchName(name)
	if r.Procs > 1 {
		full += "-" + strconv.Itoa(r.Procs)
	}
	samples := r.Samples
	if len(samples) == 0 { // a Result built by hand from Times
		for _, t := range r.Times {
			samples = append(samples, Sample{Loops: max(r.Loops, 1), Elapsed: t * time.Duration(max(r.Loops, 1))})
		}
	}
	var b strings.Builder
	for _, s := range samples {
		n := max(s.Loops, 1)
		nsPerOp := float64(s.Elapsed) / float64(n)
		fmt.Fprintf(&b, "%s\t%8d\t%s ns/op\t%8d B/op\t%8d allocs/op\n",
			full, n, prettyNs(nsPerOp), int64(s.Bytes)/int64(n), int64(s.Allocs)/int64(n))
	}
	return b.String()
}

func sanitizeBenchName(name string) string {
	name = strings.TrimSpace(name)
	name = strings.TrimPrefix(name, "Benchmark")
	name = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return '_'
		}
		return r
	}, name)
	if name == "" {
		return "Timeit"
	}
	return name
}

// prettyNs formats ns/op with testing's widths and decimals
// (testing.prettyPrint), so the lines line up with go test's.
func prettyNs(x float64) string {
	var format string
	switch y := math.Abs(x); {
	case y == 0 || y >= 999.95:
		format = "%10.0f"
	case y >= 99.995:
		format = "%12.1f"
	case y >= 9.9995:
		format = "%13.2f"
	case y >= 0.99995:
		format = "%14.3f"
	case y >= 0.099995:
		format = "%15.4f"
	case y >= 0.0099995:
		format = "%16.5f"
	case y >= 0.00099995:
		format = "%17.6f"
	default:
		format = "%18.7f"
	}
	return fmt.Sprintf(format, x)
}

// jsonResult is the JSON form of a Result. Times are float64 nanoseconds
// so that sub-nanosecond precision survives; keys are stable snake_case.
type jsonResult struct {
	Line          string       `json:"line"`
	Warnings      []string     `json:"warnings"`
	Loops         int          `json:"loops"`
	Runs          int          `json:"runs"`
	MeanNs        float64      `json:"mean_ns"`
	StdevNs       float64      `json:"stdev_ns"`
	BestNs        float64      `json:"best_ns"`
	WorstNs       float64      `json:"worst_ns"`
	MedianNs      float64      `json:"median_ns"`
	MedianCINs    [2]*float64  `json:"median_ci_ns"`
	TimesNs       []float64    `json:"times_ns"`
	AllocsPerLoop float64      `json:"allocs_per_loop"`
	BytesPerLoop  float64      `json:"bytes_per_loop"`
	Precision     int          `json:"precision"`
	GOMAXPROCS    int          `json:"gomaxprocs"`
	Samples       []jsonSample `json:"samples"`
}

type jsonSample struct {
	Loops     int    `json:"loops"`
	ElapsedNs int64  `json:"elapsed_ns"`
	Allocs    uint64 `json:"allocs"`
	Bytes     uint64 `json:"bytes"`
}

// MarshalJSON encodes every figure in nanoseconds (float64) under stable
// snake_case keys: line, warnings, loops, runs, mean_ns, stdev_ns, best_ns,
// worst_ns, median_ns, median_ci_ns ([lo, hi], each null when there are too
// few runs for a finite bound), times_ns (per loop, one per run),
// allocs_per_loop, bytes_per_loop, precision, gomaxprocs and samples (the
// raw runs: loops, elapsed_ns, allocs, bytes).
func (r *Result) MarshalJSON() ([]byte, error) {
	st := r.statsIn(true)
	j := jsonResult{
		Line:          r.String(),
		Warnings:      []string{},
		Loops:         r.Loops,
		Runs:          r.Runs,
		MeanNs:        st.mean,
		StdevNs:       st.stdev,
		BestNs:        st.best,
		WorstNs:       st.worst,
		MedianNs:      st.median,
		TimesNs:       make([]float64, len(st.times)),
		AllocsPerLoop: st.allocs,
		BytesPerLoop:  st.bytes,
		Precision:     r.precision(),
		GOMAXPROCS:    r.Procs,
		Samples:       make([]jsonSample, len(r.Samples)),
	}
	if len(st.times) == 0 {
		j.MedianNs = 0 // NaN has no JSON form
	}
	for _, w := range r.Warnings() {
		j.Warnings = append(j.Warnings, w.Error())
	}
	copy(j.TimesNs, st.times)
	if !math.IsInf(st.lo, 0) && len(st.times) > 0 {
		lo := st.lo
		j.MedianCINs[0] = &lo
	}
	if !math.IsInf(st.hi, 0) && len(st.times) > 0 {
		hi := st.hi
		j.MedianCINs[1] = &hi
	}
	for i, s := range r.Samples {
		j.Samples[i] = jsonSample{Loops: s.Loops, ElapsedNs: int64(s.Elapsed), Allocs: s.Allocs, Bytes: s.Bytes}
	}
	return json.Marshal(j)
}
