package timeit

import (
	"errors"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSampler reports loops*perLoop(call) without running anything, and
// records the loop counts it was asked for.
type fakeSampler struct {
	perLoop func(call int) time.Duration
	calls   []int
}

func (f *fakeSampler) Sample(loops int) (Sample, error) {
	d := f.perLoop(len(f.calls))
	f.calls = append(f.calls, loops)
	return Sample{Loops: loops, Elapsed: time.Duration(loops) * d, Allocs: uint64(2 * loops), Bytes: uint64(64 * loops)}, nil
}

func constant(d time.Duration) func(int) time.Duration {
	return func(int) time.Duration { return d }
}

func TestMeasureAutorange(t *testing.T) {
	tests := []struct {
		name    string
		perLoop time.Duration
		want    int // loop count chosen
		probes  []int
	}{
		{"1ms needs 1000 loops", time.Millisecond, 1000, []int{1, 10, 100, 1000}},
		{"exactly 0.2s at 100 loops is enough", 2 * time.Millisecond, 100, []int{1, 10, 100}},
		{"just under 0.2s at 100 loops", 2*time.Millisecond - 1, 1000, []int{1, 10, 100, 1000}},
		{"1s takes 1 loop", time.Second, 1, []int{1}},
		{"200ms takes 1 loop", 200 * time.Millisecond, 1, []int{1}},
		{"nothing measurable stops at 1e9", 0, 1000000000,
			[]int{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSampler{perLoop: constant(tt.perLoop)}
			r, err := Measure(f, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Loops != tt.want || r.Runs != DefaultRepeat || len(r.Times) != DefaultRepeat || len(r.Samples) != DefaultRepeat {
				t.Fatalf("loops %d runs %d times %d samples %d; want %d loops, %d runs",
					r.Loops, r.Runs, len(r.Times), len(r.Samples), tt.want, DefaultRepeat)
			}
			want := append(slices.Clone(tt.probes), slices.Repeat([]int{tt.want}, DefaultRepeat)...)
			if !slices.Equal(f.calls, want) {
				t.Errorf("sampler calls %v, want %v", f.calls, want)
			}
			if r.Mean != tt.perLoop || r.Best != tt.perLoop || r.Worst != tt.perLoop || r.Median != tt.perLoop || r.Stdev != 0 {
				t.Errorf("mean %v best %v worst %v median %v stdev %v; want %v and stdev 0", r.Mean, r.Best, r.Worst, r.Median, r.Stdev, tt.perLoop)
			}
			if r.AllocsPerLoop != 2 || r.BytesPerLoop != 64 {
				t.Errorf("allocs %v bytes %v per loop, want 2 and 64", r.AllocsPerLoop, r.BytesPerLoop)
			}
		})
	}
}

func TestMeasureFixedNumberAndRepeat(t *testing.T) {
	f := &fakeSampler{perLoop: constant(time.Microsecond)}
	r, err := Measure(f, Options{Number: 50, Repeat: 3, Precision: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.calls, []int{50, 50, 50}) {
		t.Errorf("calls %v: a given -n must not calibrate", f.calls)
	}
	if want := "1 µs ± 0 ns per loop (mean ± std. dev. of 3 runs, 50 loops each)"; r.String() != want {
		t.Errorf("got %q, want %q", r.String(), want)
	}
	if r.Precision != 4 {
		t.Errorf("precision %d, want 4", r.Precision)
	}
}

func TestMeasureStatistics(t *testing.T) {
	// Per-loop times 1..7 µs in a shuffled order.
	order := []time.Duration{4, 1, 7, 3, 6, 2, 5}
	f := &fakeSampler{perLoop: func(call int) time.Duration { return order[call] * time.Microsecond }}
	r, err := Measure(f, Options{Number: 10})
	if err != nil {
		t.Fatal(err)
	}
	us := time.Microsecond
	// Population standard deviation of 1..7 is 2.
	if r.Mean != 4*us || r.Stdev != 2*us || r.Best != us || r.Worst != 7*us || r.Median != 4*us {
		t.Errorf("mean %v stdev %v best %v worst %v median %v", r.Mean, r.Stdev, r.Best, r.Worst, r.Median)
	}
	// With 7 runs the 95% interval of the median is [min, max].
	if r.MedianLow != us || r.MedianHigh != 7*us {
		t.Errorf("median CI [%v, %v], want [1µs, 7µs]", r.MedianLow, r.MedianHigh)
	}
	for i, d := range order {
		if r.Times[i] != d*us {
			t.Errorf("Times[%d] = %v, want %v (runs in order)", i, r.Times[i], d*us)
		}
	}
	// Worst 7 µs > 4 × best 1 µs and > 1 µs: IPython warns.
	if ws := r.Warnings(); len(ws) != 1 || !strings.Contains(ws[0].Error(), "took 7.00 times longer") {
		t.Errorf("warnings %v", ws)
	}
}

func TestMeasureWarningRule(t *testing.T) {
	tests := []struct {
		best, worst time.Duration
		warn        bool
	}{
		{time.Microsecond, 5 * time.Microsecond, true},
		{time.Microsecond, 4 * time.Microsecond, false}, // not more than 4×
		{100, 900, false},                               // slowest under 1 µs
		{200, 1100, true},                               // slowest over 1 µs
		{0, 5 * time.Microsecond, false},                // IPython skips a zero best
		{time.Millisecond, 3 * time.Millisecond, false}, // within 4×
		{time.Millisecond, 30 * time.Millisecond, true}, // far beyond
		{time.Second, 4*time.Second + 1, true},          // just beyond
		{time.Second, 4 * time.Second, false},           // exactly 4×
		{time.Nanosecond, 10 * time.Nanosecond, false},  // both tiny
		{time.Microsecond, 10 * time.Microsecond, true}, // ratio 10
		{5 * time.Microsecond, time.Microsecond, true},  // order does not matter
	}
	for _, tt := range tests {
		f := &fakeSampler{perLoop: func(call int) time.Duration {
			if call%2 == 0 {
				return tt.best
			}
			return tt.worst
		}}
		r, err := Measure(f, Options{Number: 1, Repeat: 4})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(r.Warnings()) == 1; got != tt.warn {
			t.Errorf("runs %v and %v: warning %v, want %v", tt.best, tt.worst, got, tt.warn)
		}
	}
}

func TestMeasureErrors(t *testing.T) {
	boom := errors.New("snippet.go:3:5: panic: boom")
	calls := 0
	_, err := Measure(SamplerFunc(func(loops int) (Sample, error) {
		calls++
		if calls == 3 {
			return Sample{}, boom
		}
		return Sample{Loops: loops, Elapsed: time.Second}, nil
	}), Options{Number: 1})
	if err != boom {
		t.Errorf("Measure returned %v, want the sampler's error unchanged", err)
	}

	bad := []Options{{Number: -1}, {Repeat: -2}, {Precision: -1}}
	for _, o := range bad {
		if _, err := Measure(&fakeSampler{perLoop: constant(time.Second)}, o); err == nil {
			t.Errorf("Measure(%+v) succeeded", o)
		}
	}
	if _, err := Measure(nil, Options{}); err == nil {
		t.Error("Measure(nil) succeeded")
	}
	wrong := SamplerFunc(func(loops int) (Sample, error) { return Sample{Loops: loops + 1, Elapsed: 1}, nil })
	if _, err := Measure(wrong, Options{Number: 5}); err == nil || !strings.Contains(err.Error(), "asked for 5") {
		t.Errorf("a sampler running the wrong loop count: %v", err)
	}
	// A sampler that leaves Loops zero means it ran what it was asked.
	lazy := SamplerFunc(func(loops int) (Sample, error) { return Sample{Elapsed: time.Second}, nil })
	if r, err := Measure(lazy, Options{Number: 5, Repeat: 1}); err != nil || r.Loops != 5 {
		t.Errorf("zero Loops: %v %v", r, err)
	}
}

// signalWriter records what is written and signals the first write.
type signalWriter struct {
	mu    sync.Mutex
	b     strings.Builder
	first chan struct{}
	once  sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	w.once.Do(func() { close(w.first) })
	return len(p), nil
}

func TestMeasureProgress(t *testing.T) {
	defer func(d, tick time.Duration) { progressDelay, progressTick = d, tick }(progressDelay, progressTick)
	progressDelay, progressTick = 0, time.Millisecond

	for _, tc := range []struct{ label, want string }{
		{"", "timeit: calibrating: 1 loop ("},
		{"scaling P=2", "scaling P=2: calibrating: 1 loop ("},
	} {
		w := &signalWriter{first: make(chan struct{})}
		calls := 0
		s := SamplerFunc(func(loops int) (Sample, error) {
			calls++
			if calls == 1 {
				// Hold the first run until the display has drawn, as a
				// long run would; bounded so a broken display fails
				// instead of hanging.
				select {
				case <-w.first:
				case <-time.After(10 * time.Second):
				}
			}
			return Sample{Loops: loops, Elapsed: time.Second}, nil
		})
		if _, err := Measure(s, Options{Progress: w, Repeat: 2, Label: tc.label}); err != nil {
			t.Fatal(err)
		}
		out := w.b.String()
		if !strings.Contains(out, tc.want) {
			t.Errorf("progress output %q does not show the calibration as %q", out, tc.want)
		}
		if !strings.HasSuffix(out, "\r\x1b[K") {
			t.Errorf("progress output %q does not end by erasing the line", out)
		}
	}

	// Nothing at all is written by a measurement shorter than the delay.
	progressDelay = time.Hour
	w2 := &signalWriter{first: make(chan struct{})}
	if _, err := Measure(&fakeSampler{perLoop: constant(time.Second)}, Options{Progress: w2}); err != nil {
		t.Fatal(err)
	}
	if w2.b.Len() != 0 {
		t.Errorf("short measurement wrote %q", w2.b.String())
	}
}

var (
	sink    []byte
	sinkInt int
)

func TestFunc(t *testing.T) {
	setups := 0
	calls := 0
	r, err := FuncSetup(func() { setups++ }, func() {
		calls++
		sink = make([]byte, 128)
	}, Options{Number: 1000, Repeat: 3})
	if err != nil {
		t.Fatal(err)
	}
	if r.Loops != 1000 || r.Runs != 3 || len(r.Times) != 3 {
		t.Fatalf("loops %d runs %d", r.Loops, r.Runs)
	}
	if setups != 3 || calls != 3000 {
		t.Errorf("setup ran %d times, f %d times; want 3 and 3000", setups, calls)
	}
	// One 128-byte allocation per call; other goroutines of the test
	// binary may allocate a little during a run, hence the margin.
	if r.AllocsPerLoop < 1 || r.AllocsPerLoop > 1.5 || r.BytesPerLoop < 128 || r.BytesPerLoop > 256 {
		t.Errorf("allocs %v bytes %v per loop, want about 1 and 128", r.AllocsPerLoop, r.BytesPerLoop)
	}
	if r.Best <= 0 || r.Best > r.Mean || r.Mean > r.Worst {
		t.Errorf("best %v mean %v worst %v out of order", r.Best, r.Mean, r.Worst)
	}

	quiet, err := Func(func() { calls++ }, Options{Number: 10000, Repeat: 2})
	if err != nil {
		t.Fatal(err)
	}
	if quiet.AllocsPerLoop > 0.01 {
		t.Errorf("a func that does not allocate shows %v allocs per loop", quiet.AllocsPerLoop)
	}

	if _, err := Func(nil, Options{}); err == nil {
		t.Error("Func(nil) succeeded")
	}
}

func TestFuncAutorange(t *testing.T) {
	if testing.Short() {
		t.Skip("autorange runs for about a second")
	}
	setups := 0
	// About a microsecond per call keeps the calibration short.
	work := func() {
		total := 0
		for i := range 1000 {
			total += i * i
		}
		sinkInt = total
	}
	r, err := FuncSetup(func() { setups++ }, work, Options{Repeat: 2})
	if err != nil {
		t.Fatal(err)
	}
	// The loop count is a power of ten, and the setup ran before every
	// run: the calibration runs (one per power of ten tried) and the 2.
	probes := 0
	for n := 1; n <= r.Loops; n *= 10 {
		probes++
	}
	if !isPow10(r.Loops) || setups != probes+2 {
		t.Errorf("loops %d, setups %d; want a power of ten and %d setups", r.Loops, setups, probes+2)
	}
}

func isPow10(n int) bool {
	for n >= 10 && n%10 == 0 {
		n /= 10
	}
	return n == 1
}

func TestFuncDisableGC(t *testing.T) {
	before := debug.SetGCPercent(77)
	defer debug.SetGCPercent(before)
	var during int
	_, err := Func(func() {
		if during == 0 {
			during = debug.SetGCPercent(-1)
		}
	}, Options{Number: 1, Repeat: 1, DisableGC: true})
	if err != nil {
		t.Fatal(err)
	}
	if during != -1 {
		t.Errorf("GC percent during the runs was %d, want -1 (off)", during)
	}
	if got := debug.SetGCPercent(before); got != 77 {
		t.Errorf("GC percent after Func is %d, want 77 restored", got)
	}
}
