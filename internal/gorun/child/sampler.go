package child

import (
	_speedup_context "context"
	_speedup_fmt "fmt"
	_speedup_math "math"
	_speedup_rand "math/rand/v2"
	_speedup_os "os"
	_speedup_runtime "runtime"
	_speedup_pprof "runtime/pprof"
	_speedup_strconv "strconv"
	_speedup_sync "sync"
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
	mu                     _speedup_sync.Mutex // guards counts
	counts                 map[[32]uintptr]int
	running, taken, paused _speedup_atomic.Int64
	// interval is the snapshots' mean period, which the batches raise
	// when the snapshots slow the runs.
	interval       _speedup_atomic.Int64
	stop, finished chan struct{}
	prof           *_speedup_os.File
	// path and hz are the CPU profile's first file and rate; rotate
	// writes batch b's samples to path.b.
	path string
	hz   int
}

// _speedup_setupLabels and _speedup_harnessLabels mark the CPU samples of
// the setup and of the harness's own goroutines: they are never the
// runs', whichever batch's profile file holds them. A sample with no
// "speedup" label at all is the measured code's, which replaced its
// goroutine's labels (see the sampler's rotate).
var (
	_speedup_setupLabels   = _speedup_pprof.WithLabels(_speedup_context.Background(), _speedup_pprof.Labels("speedup", "setup"))
	_speedup_harnessLabels = _speedup_pprof.WithLabels(_speedup_context.Background(), _speedup_pprof.Labels("speedup", "harness"))
)

// _speedup_startSampler starts both samplers for req (see
// _speedup_sampler); the snapshots wait for running to be set.
func _speedup_startSampler(req *_speedup_lprunRequest) *_speedup_sampler {
	s := &_speedup_sampler{targets: req.Targets, counts: map[[32]uintptr]int{}, stop: make(chan struct{}), finished: make(chan struct{}),
		path: req.CPUProfile, hz: req.HZ}
	interval := _speedup_time.Duration(req.IntervalNS)
	if interval <= 0 {
		interval = 5 * _speedup_time.Millisecond
	}
	s.startProfile(req.CPUProfile)
	s.interval.Store(int64(interval))
	go s.loop()
	return s
}

// startProfile starts the CPU profile, written to path.
func (s *_speedup_sampler) startProfile(path string) {
	f, err := _speedup_os.Create(path)
	if err != nil {
		_speedup_fmt.Fprintln(_speedup_os.Stderr, "speedup lprun harness:", err)
		_speedup_os.Exit(2)
	}
	s.prof = f
	// StartCPUProfile asks for 100 Hz; a rate set first wins. The runtime
	// then prints "cannot set cpu profile rate until previous profile has
	// finished" (golang.org/issue/79900) into this process's standard
	// error, which is speedup's pipe, never the user's terminal: speedup
	// takes that line out when it shows this output (lprun's timeCall,
	// tested by cmd/speedup's TestLprunTimingFailureOutput). The rate is
	// worth it: % Time is split by these samples and its stated error
	// shrinks with their square root (2.5x the samples of 100 Hz).
	_speedup_runtime.SetCPUProfileRate(s.hz)
	if err := _speedup_pprof.StartCPUProfile(f); err != nil {
		_speedup_fmt.Fprintln(_speedup_os.Stderr, "speedup lprun harness:", err)
		_speedup_os.Exit(2)
	}
}

// rotate ends the CPU profile file being written and starts the one of
// the pair of batches b, b+1, path.b: a sample then belongs to the pair
// whose file holds it. The batch's profiler label says so too, but the
// measured code can replace its goroutine's labels (pprof.Do with a
// context of its own, as package par does for the tasks it runs on the
// caller's goroutine), and all the samples after that were lost. A
// restarted profile does not sample the CPU time after its last sample
// (less than one period, 4 ms, at the end of the pair's last run): the
// parent asks for rotation only when a pair lasts many periods.
func (s *_speedup_sampler) rotate(b int) {
	_speedup_pprof.StopCPUProfile()
	s.prof.Close()
	s.startProfile(s.path + "." + _speedup_strconv.Itoa(b))
}

// loop takes the snapshots until stop is closed.
func (s *_speedup_sampler) loop() {
	defer close(s.finished)
	_speedup_pprof.SetGoroutineLabels(_speedup_harnessLabels)
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
		interval := s.interval.Load()
		_speedup_nanosleep(_speedup_time.Duration(interval/2 + _speedup_rand.Int64N(interval)))
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
		s.mu.Lock()
		s.paused.Add(d)
		s.taken.Add(1)
		for _, r := range recs[:n] {
			s.counts[r.Stack0]++
		}
		s.mu.Unlock()
	}
}

// take returns what the snapshots found since the last take (their
// number, pauses and lines), and starts afresh.
func (s *_speedup_sampler) take() (int, int64, []_speedup_lineTime) {
	s.mu.Lock()
	counts := s.counts
	s.counts = map[[32]uintptr]int{}
	n, paused := s.taken.Swap(0), s.paused.Swap(0)
	s.mu.Unlock()
	lines, _ := _speedup_attribute(s.targets, counts)
	return int(n), paused, lines
}

// finish stops the samplers.
func (s *_speedup_sampler) finish() {
	close(s.stop)
	<-s.finished
	_speedup_pprof.StopCPUProfile()
	s.prof.Close()
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
		if _speedup_inLoop(st[:n]) {
			continue
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

// _speedup_inLoop reports whether a stack is the program's own main (or
// TestMain) waiting in _speedup_loop for the runs it repeats: that wait
// is the harness's, not the program's.
func _speedup_inLoop(st []uintptr) bool {
	frames := _speedup_runtime.CallersFrames(st)
	for {
		f, more := frames.Next()
		if n := len(f.Function); n >= 14 && f.Function[n-14:] == "._speedup_loop" {
			return true
		}
		if !more {
			return false
		}
	}
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

// _speedup_batches runs the measured code again and again, in batches of
// at least req.BatchNS, with the stack snapshots on in every other batch
// (on, off, off, on, on, off, ...: a change of the machine's load hurts
// both kinds alike), and appends the batches to res.Batches. run runs the
// code once, calling start when the measured part begins; it reports
// whether the runs must stop (a panic, runtime.Goexit, a failure).
//
// The runs stop once req.MinBatches batches (an even number) are done and
// every target of req.Need has req.MinSamples snapshot samples, or at
// req.MaxNS (res.CapHit then says the evidence fell short), or after
// req.MaxRuns runs. The snapshots' period grows when they cost more than
// they should: when their calls take more than 2% of a batch's time, and
// when the batches with snapshots are clearly (by two standard errors over
// at least four pairs) more than 3% slower than their neighbours without.
func _speedup_batches(req *_speedup_lprunRequest, res *_speedup_lprunReply, s *_speedup_sampler, run func(start func()) bool) {
	// The harness's own samples between the runs are not the runs'.
	_speedup_pprof.SetGoroutineLabels(_speedup_harnessLabels)
	r := &_speedup_batchRun{req: req, res: res, s: s, run: run, maxRuns: req.MaxRuns, perTarget: make([]int, len(s.targets))}
	if r.maxRuns <= 0 {
		r.maxRuns = 1 << 30
	}
	if r.maxRuns > 1 && req.Warmup {
		// One run first, not measured: the first run pays for what the
		// later ones find ready (page faults, caches, the heap's growth),
		// and would make its batch unlike the others.
		if run(func() {}) {
			return
		}
	}
	r.start = _speedup_time.Now()
	for b := 0; ; b++ {
		snap := b%4 == 0 || b%4 == 3
		if req.RotateCPU && b%2 == 0 {
			s.rotate(b)
		}
		bt, t0b, stop := r.batch(b, snap)
		bt = r.record(b, bt)
		if stop || r.runs >= r.maxRuns || r.enough() {
			break
		}
		if int64(_speedup_time.Since(r.start)) >= req.MaxNS {
			res.CapHit = true
			break
		}
		if wall := int64(_speedup_time.Since(t0b)); snap && wall > 0 && bt.PausedNS*50 > wall {
			r.easePauses(bt.PausedNS, wall)
		}
		if b%2 == 1 && len(r.slow) >= 4 {
			r.easeSlowdown()
		}
	}
}

// _speedup_batchRun is the state _speedup_batches carries from batch to
// batch.
type _speedup_batchRun struct {
	req   *_speedup_lprunRequest
	res   *_speedup_lprunReply
	s     *_speedup_sampler
	run   func(start func()) bool
	start _speedup_time.Time
	// maxRuns bounds runs, the runs made so far in all batches.
	maxRuns, runs int
	// perTarget counts the snapshot samples of each target.
	perTarget []int
	// slow holds the slowdowns of the pairs of batches (with snapshots
	// against without) at the current period, prevMean the last batch's
	// mean run time.
	slow     []float64
	prevMean float64
}

// enough reports whether the batches done are enough: at least
// req.MinBatches of them, an even number, and req.MinSamples snapshot
// samples in every target of req.Need.
func (r *_speedup_batchRun) enough() bool {
	if len(r.res.Batches) < r.req.MinBatches || len(r.res.Batches)%2 != 0 {
		return false
	}
	for _, t := range r.req.Need {
		if t >= 0 && t < len(r.perTarget) && r.perTarget[t] < r.req.MinSamples {
			return false
		}
	}
	return true
}

// batch runs batch b (with the snapshots on if snap) until it lasts
// req.BatchNS, the runs reach maxRuns or the whole reaches req.MaxNS, at
// least once. It returns the batch's runs and time, when it began, and
// whether a run asked the runs to stop.
func (r *_speedup_batchRun) batch(b int, snap bool) (bt _speedup_batch, t0b _speedup_time.Time, stop bool) {
	labels := _speedup_pprof.WithLabels(_speedup_context.Background(), _speedup_pprof.Labels("speedup", "stmt", "batch", _speedup_strconv.Itoa(b)))
	bt = _speedup_batch{Snap: snap}
	if snap {
		bt.IntervalNS = r.s.interval.Load()
	}
	t0b = _speedup_time.Now()
	for bt.Runs == 0 || (int64(_speedup_time.Since(t0b)) < r.req.BatchNS && r.runs < r.maxRuns && int64(_speedup_time.Since(r.start)) < r.req.MaxNS) {
		var t0 _speedup_time.Time
		stop = r.run(func() {
			_speedup_pprof.SetGoroutineLabels(labels)
			if snap {
				r.s.running.Store(1)
			}
			t0 = _speedup_time.Now()
		})
		var d int64
		if !t0.IsZero() {
			d = int64(_speedup_time.Since(t0))
		}
		r.s.running.Store(0)
		bt.Runs++
		r.runs++
		bt.NS += d
		if stop {
			break
		}
	}
	return bt, t0b, stop
}

// record takes the snapshots' findings into batch b (kept only when it
// had the snapshots on), notes the pair's slowdown when b ends a pair,
// and appends the batch to res.Batches.
func (r *_speedup_batchRun) record(b int, bt _speedup_batch) _speedup_batch {
	n, paused, lines := r.s.take()
	if bt.Snap {
		bt.Samples, bt.PausedNS, bt.Lines = n, paused, lines
		for _, l := range lines {
			r.perTarget[l.Target] += l.N
		}
	}
	mean := float64(bt.NS) / float64(bt.Runs)
	if b%2 == 1 && r.prevMean > 0 && mean > 0 {
		r.slow = append(r.slow, _speedup_pairSlowdown(bt.Snap, r.prevMean, mean))
	}
	r.prevMean = mean
	r.res.Batches = append(r.res.Batches, bt)
	return bt
}

// _speedup_pairSlowdown is how much slower (a fraction) the batch with
// snapshots of a pair ran than the one without, from the pair's mean run
// times: prev the first batch's, cur the second's, which had the
// snapshots if snap.
func _speedup_pairSlowdown(snap bool, prev, cur float64) float64 {
	if snap {
		return cur/prev - 1
	}
	return prev/cur - 1
}

// easePauses lengthens the snapshots' period when their own calls took
// more than 2% of a batch's wall time (many goroutines to walk, or a
// loaded machine that deschedules the sampler while the world is
// stopped). A call's time counts the sampler's own descheduling, which
// does not always stop the runs: up to 8 times the period asked for, so
// that the evidence still comes; beyond, the measured slowdown decides.
func (r *_speedup_batchRun) easePauses(paused, wall int64) {
	f := min(float64(paused)*50/float64(wall), 4)
	if iv, top := r.s.interval.Load(), 8*max(r.req.IntervalNS, int64(_speedup_time.Millisecond)); iv < top {
		r.s.interval.Store(min(int64(float64(iv)*f), top))
		r.slow = r.slow[:0]
	}
}

// easeSlowdown halves the snapshots' rate when they cost more than 3% of
// the runs' time, beyond the noise of the pairs.
func (r *_speedup_batchRun) easeSlowdown() {
	if iv := r.s.interval.Load(); _speedup_clearlyOver(r.slow, 0.03) && iv < int64(_speedup_time.Second) {
		r.s.interval.Store(2 * iv)
		r.slow = r.slow[:0]
	}
}

// _speedup_clearlyOver reports whether the mean of xs (at least two of
// them) exceeds limit by more than two standard errors.
func _speedup_clearlyOver(xs []float64, limit float64) bool {
	var m, v float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	se := _speedup_math.Sqrt(v / float64(len(xs)-1) / float64(len(xs)))
	return m-2*se > limit
}
