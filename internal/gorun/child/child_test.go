package child

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
)

func TestParked(t *testing.T) {
	for fn, want := range map[string]bool{
		"runtime.gopark":                    true,
		"runtime.entersyscall":              true,
		"syscall.Syscall6":                  true,
		"internal/runtime/syscall.Syscall6": true,
		"main.work":                         false,
		"runtime.mallocgc":                  false,
		"syscall.":                          false,
	} {
		if got := _speedup_parked(fn); got != want {
			t.Errorf("_speedup_parked(%q) = %v, want %v", fn, got, want)
		}
	}
}

// TestRecordPanic: a recovered panic is described by its value (an
// error's message) and the panicking goroutine's stack.
func TestRecordPanic(t *testing.T) {
	var p *_speedup_panic
	func() {
		defer func() { p = _speedup_recordPanic(recover()) }()
		panic(errors.New("boom"))
	}()
	if p.Value != "boom" || !strings.Contains(p.Stack, "TestRecordPanic") || p.File != "" {
		t.Errorf("panic %+v", p)
	}
}

// TestAttribute: a goroutine snapshot counts once per target on its stack,
// on that target's innermost line, parked when its innermost frame is.
func TestAttribute(t *testing.T) {
	var st [32]uintptr
	n := runtime.Callers(1, st[:])
	frames := runtime.CallersFrames(st[:n])
	f, _ := frames.Next() // this function
	targets := []_speedup_target{{File: f.File, Start: f.Line - 1, End: f.Line + 1}, {File: "other.go", Start: 1, End: 100}}
	lines, hits := _speedup_attribute(targets, map[[32]uintptr]int{st: 3})
	if hits != 3 || len(lines) != 1 || lines[0] != (_speedup_lineTime{Target: 0, Line: f.Line, N: 3}) {
		t.Errorf("lines %+v, hits %d", lines, hits)
	}
}

// TestBatches: the batches alternate with and without snapshots (on, off,
// off, on), stop once the evidence asked for is there, and at the cap
// otherwise, saying so.
func TestBatches(t *testing.T) {
	work := func(start func()) bool {
		start()
		x := 0
		for i := range 100000 {
			x += i
		}
		_ = x
		return false
	}
	req := &_speedup_lprunRequest{CPUProfile: t.TempDir() + "/cpu.pprof", HZ: 100, IntervalNS: 1e6,
		MaxNS: int64(10 * 1e9), BatchNS: 1e6, MinBatches: 4}
	s := _speedup_startSampler(req)
	res := &_speedup_lprunReply{}
	_speedup_batches(req, res, s, work)
	s.finish()
	if len(res.Batches) != 4 || res.CapHit {
		t.Fatalf("%d batches, cap hit %v; want 4 and no cap", len(res.Batches), res.CapHit)
	}
	for i, want := range []bool{true, false, false, true} {
		if b := res.Batches[i]; b.Snap != want || b.Runs < 1 || b.NS <= 0 {
			t.Errorf("batch %d: %+v, want snapshots %v", i, b, want)
		}
	}
	// A target that never gets its samples: the cap ends the runs.
	req.CPUProfile = t.TempDir() + "/cpu2.pprof"
	req.MaxNS, req.MinSamples, req.Need = int64(50e6), 10, []int{0}
	req.Targets = []_speedup_target{{File: "nowhere.go", Start: 1, End: 2}}
	s = _speedup_startSampler(req)
	res = &_speedup_lprunReply{}
	_speedup_batches(req, res, s, work)
	s.finish()
	if !res.CapHit || len(res.Batches) < 4 {
		t.Errorf("%d batches, cap hit %v; want the cap", len(res.Batches), res.CapHit)
	}
}

// TestInLoop: the stack of the program's main waiting in _speedup_loop is
// the harness's.
func TestInLoop(t *testing.T) {
	var st [32]uintptr
	n := runtime.Callers(1, st[:])
	if _speedup_inLoop(st[:n]) {
		t.Errorf("a test's stack taken for the loop's")
	}
}

// TestClearlyOver: the snapshots' cost is declared only when the pairs'
// mean slowdown exceeds the limit by two standard errors.
func TestClearlyOver(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want bool
	}{
		{[]float64{0.10, 0.10, 0.10, 0.10}, true},    // no spread, 10% > 3%
		{[]float64{0.02, 0.02, 0.02, 0.02}, false},   // under the limit
		{[]float64{0.20, -0.10, 0.15, -0.05}, false}, // mean 5%, too noisy
		{[]float64{0.05, 0.06, 0.05, 0.06}, true},    // mean 5.5%, se 0.29%
		{[]float64{0.03, 0.03, 0.03, 0.03}, false},   // at the limit, not over
	} {
		if got := _speedup_clearlyOver(c.xs, 0.03); got != c.want {
			t.Errorf("_speedup_clearlyOver(%v, 0.03) = %v, want %v", c.xs, got, c.want)
		}
	}
}

// TestPairSlowdown: a pair's slowdown is the batch with snapshots against
// the one without, whichever came first.
func TestPairSlowdown(t *testing.T) {
	for _, c := range []struct {
		snap      bool
		prev, cur float64
		want      float64
	}{
		{true, 100, 110, 0.10},  // off then on
		{false, 110, 100, 0.10}, // on then off
		{true, 100, 100, 0},
		{false, 100, 125, -0.2},
	} {
		if got := _speedup_pairSlowdown(c.snap, c.prev, c.cur); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("_speedup_pairSlowdown(%v, %v, %v) = %v, want %v", c.snap, c.prev, c.cur, got, c.want)
		}
	}
}
