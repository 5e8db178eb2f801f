package child

import (
	_speedup_fmt "fmt"
	_speedup_rand "math/rand/v2"
	_speedup_os "os"
	_speedup_runtime "runtime"
	_speedup_pprof "runtime/pprof"
	_speedup_atomic "sync/atomic"
	_speedup_time "time"
)

// _speedup_sampler measures time under two samplers (docs/lprun.md
// explains why both):
//
//   - the CPU profiler (SIGPROF), written to the request's CPUProfile,
//     which tells where on-CPU time goes, line by line, without disturbing
//     the code;
//   - snapshots of every goroutine's stack (runtime.GoroutineProfile) at a
//     coarse interval while running is set, which tell how much wall time
//     goroutines spend in each profiled function, running or not, and on
//     which lines they wait (sleeps, channels, locks, I/O), which the CPU
//     profiler cannot see.
//
// The snapshots stop the world for an instant; that pause is measured
// (paused) so that it can be taken out of the run times.
type _speedup_sampler struct {
	targets                []_speedup_target
	counts                 map[[32]uintptr]int
	running, taken, paused _speedup_atomic.Int64
	stop, finished         chan struct{}
	prof                   *_speedup_os.File
}

func _speedup_startSampler(req *_speedup_lprunRequest) *_speedup_sampler {
	s := &_speedup_sampler{targets: req.Targets, counts: map[[32]uintptr]int{}, stop: make(chan struct{}), finished: make(chan struct{})}
	interval := _speedup_time.Duration(req.IntervalNS)
	if interval <= 0 {
		interval = 5 * _speedup_time.Millisecond
	}
	f, err := _speedup_os.Create(req.CPUProfile)
	if err != nil {
		_speedup_fmt.Fprintln(_speedup_os.Stderr, "speedup lprun harness:", err)
		_speedup_os.Exit(2)
	}
	s.prof = f
	// StartCPUProfile asks for 100 Hz; a rate set first wins (it prints a
	// warning, which speedup discards).
	_speedup_runtime.SetCPUProfileRate(req.HZ)
	if err := _speedup_pprof.StartCPUProfile(f); err != nil {
		_speedup_fmt.Fprintln(_speedup_os.Stderr, "speedup lprun harness:", err)
		_speedup_os.Exit(2)
	}
	go s.loop(interval)
	return s
}

// loop takes the snapshots until stop is closed.
func (s *_speedup_sampler) loop(interval _speedup_time.Duration) {
	defer close(s.finished)
	// The snapshots must fall at times independent of the runs' phase. A
	// Go timer fires when a scheduler looks at it, which on a busy machine
	// is when the statement's goroutine ends; a thread of its own sleeping
	// in the kernel, with a random jitter, is not tied to the runs.
	_speedup_runtime.LockOSThread()
	recs := make([]_speedup_runtime.StackRecord, 64)
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		_speedup_nanosleep(interval/2 + _speedup_time.Duration(_speedup_rand.Int64N(int64(interval))))
		if s.running.Load() == 0 {
			continue
		}
		t0 := _speedup_time.Now()
		n, ok := _speedup_runtime.GoroutineProfile(recs)
		d := int64(_speedup_time.Since(t0))
		if !ok {
			recs = make([]_speedup_runtime.StackRecord, n*2)
			continue
		}
		if s.running.Load() == 0 {
			continue
		}
		s.paused.Add(d)
		s.taken.Add(1)
		for _, r := range recs[:n] {
			s.counts[r.Stack0]++
		}
	}
}

// finish stops the samplers and puts their findings in res.
func (s *_speedup_sampler) finish(res *_speedup_lprunReply) {
	close(s.stop)
	<-s.finished
	_speedup_pprof.StopCPUProfile()
	s.prof.Close()
	res.Samples = int(s.taken.Load())
	res.PausedNS = s.paused.Load()
	res.Lines, res.Hits = _speedup_attribute(s.targets, s.counts)
}

// _speedup_attribute adds up, per profiled line, how many goroutines the
// snapshots found there, and returns how many goroutine samples fell in a
// profiled function.
func _speedup_attribute(targets []_speedup_target, counts map[[32]uintptr]int) ([]_speedup_lineTime, int) {
	type tl struct {
		t, line int
		parked  bool
	}
	acc := map[tl]*_speedup_lineTime{}
	hits := 0
	seen := make([]bool, len(targets))
	for st, c := range counts {
		n := 0
		for n < len(st) && st[n] != 0 {
			n++
		}
		clear(seen)
		in := false
		frames := _speedup_runtime.CallersFrames(st[:n])
		parked, first := false, true
		for {
			f, more := frames.Next()
			if first {
				parked = _speedup_parked(f.Function)
				first = false
			}
			for i, t := range targets {
				if !seen[i] && f.Line >= t.Start && f.Line <= t.End && f.File == t.File {
					seen[i] = true
					in = true
					k := tl{i, f.Line, parked}
					a := acc[k]
					if a == nil {
						a = &_speedup_lineTime{Target: i, Line: f.Line, Parked: parked}
						acc[k] = a
					}
					a.N += c
				}
			}
			if !more {
				break
			}
		}
		if in {
			hits += c
		}
	}
	var lines []_speedup_lineTime
	for _, a := range acc {
		lines = append(lines, *a)
	}
	return lines, hits
}

// _speedup_parked reports whether a goroutine whose innermost frame is in
// fn is off CPU: parked by the scheduler (channels, select, sleep, locks,
// network I/O, GC assists) or in a system call.
func _speedup_parked(fn string) bool {
	switch fn {
	case "runtime.gopark", "runtime.goparkunlock", "runtime.entersyscall", "runtime.entersyscallblock", "runtime.reentersyscall":
		return true
	}
	for _, p := range []string{"syscall.", "internal/runtime/syscall.", "runtime/internal/syscall.", "internal/syscall/unix."} {
		if len(fn) > len(p) && fn[:len(p)] == p {
			return true
		}
	}
	return false
}
