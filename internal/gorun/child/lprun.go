package child

import (
	_speedup_fmt "fmt"
	_speedup_os "os"
	_speedup_time "time"
)

// The harness of lprun's statements: the generated TestMain calls
// _speedup_lprunMain, which serves one request: in the instrumented build
// ("hits") it runs the statement once and reports the counters; in the
// plain build ("time") it runs the statement repeatedly under the
// samplers. The generated file provides _speedup_stmt and the counters'
// accessors.
//
// The statement runs on its own goroutine so that runtime.Goexit in it
// ends the run instead of the program, and a panic is recovered, recorded
// and reported by the parent after the profile.

func _speedup_lprunMain() {
	if !_speedup_connect() {
		_speedup_fmt.Fprintln(_speedup_os.Stderr, "this program is run by speedup lprun")
		_speedup_os.Exit(2)
	}
	var req _speedup_request
	for _speedup_next(&req) {
		if req.Lprun == nil {
			_speedup_reply1(_speedup_reply{Error: "not an lprun request"})
			continue
		}
		var rep _speedup_reply
		res := &_speedup_lprunReply{}
		switch req.Lprun.Mode {
		case "hits":
			rep.Panic, res.Goexit = _speedup_hits(req.Lprun, res)
		case "time":
			rep.Panic, res.Goexit = _speedup_sample(req.Lprun, res)
		default:
			rep.Error = "unknown lprun mode " + req.Lprun.Mode
		}
		rep.Lprun = res
		_speedup_reply1(rep)
	}
	_speedup_os.Exit(0)
}

// _speedup_once runs the statement once on a new goroutine and waits for it.
func _speedup_once() (p *_speedup_panic, goexit bool) {
	done := make(chan struct{})
	go func() {
		normal := false
		defer func() {
			if !normal {
				if v := recover(); v != nil {
					p = _speedup_recordPanic(v)
				} else {
					goexit = true
				}
			}
			close(done)
		}()
		_speedup_stmt()
		normal = true
	}()
	<-done
	return p, goexit
}

// _speedup_hits runs the statement once in the instrumented build and
// puts its counts in res, then req.Repeat more times for the instrumented
// run time only.
func _speedup_hits(req *_speedup_lprunRequest, res *_speedup_lprunReply) (*_speedup_panic, bool) {
	// What ran before the statement (package initialisation, the testing
	// package: a profiled standard function may run there) is not the
	// statement's: it is taken out.
	base, baseT := _speedup_snapshot()
	t0 := _speedup_time.Now()
	p, goexit := _speedup_once()
	res.RunNS = []int64{int64(_speedup_time.Since(t0))}
	_speedup_collect(res, base, baseT)
	if p == nil && !goexit {
		for range req.Repeat {
			t0 := _speedup_time.Now()
			_speedup_once()
			res.RunNS = append(res.RunNS, int64(_speedup_time.Since(t0)))
		}
	}
	return p, goexit
}

// _speedup_snapshot copies the counters' totals (the slices alias the live
// totals).
func _speedup_snapshot() (map[string][]uint64, map[string][]int64) {
	counts, times := map[string][]uint64{}, map[string][]int64{}
	for id, c := range _speedup_counts() {
		counts[id] = append([]uint64(nil), c...)
	}
	for id, t := range _speedup_times() {
		times[id] = append([]int64(nil), t...)
	}
	return counts, times
}

// _speedup_collect waits for the profiled activations still running (up
// to a second: goroutines the run waited for may still be between their
// last deferred call and the flush of their counters) and puts the
// counters, less base and baseT, in res.
func _speedup_collect(res *_speedup_lprunReply, base map[string][]uint64, baseT map[string][]int64) {
	for i := 0; i < 1000 && _speedup_active() > 0; i++ {
		_speedup_time.Sleep(_speedup_time.Millisecond)
	}
	res.Active = _speedup_active()
	res.Counts, res.Times = _speedup_snapshot()
	for id, c := range res.Counts {
		for i, v := range base[id] {
			c[i] -= v
		}
	}
	for id, t := range res.Times {
		for i, v := range baseT[id] {
			t[i] -= v
		}
	}
}

// _speedup_sample runs the statement repeatedly for the time
// measurement, under the samplers, until req.MaxNS has passed (at least
// once, at most req.MaxRuns times).
func _speedup_sample(req *_speedup_lprunRequest, res *_speedup_lprunReply) (p *_speedup_panic, goexit bool) {
	maxRuns := req.MaxRuns
	if maxRuns <= 0 {
		maxRuns = 1 << 30
	}
	s := _speedup_startSampler(req)
	start := _speedup_time.Now()
	for {
		before := s.taken.Load()
		s.running.Store(1)
		t0 := _speedup_time.Now()
		p, goexit = _speedup_once()
		d := int64(_speedup_time.Since(t0))
		s.running.Store(0)
		res.RunNS = append(res.RunNS, d)
		if s.taken.Load() == before {
			// No snapshot paused this run.
			res.CleanNS += d
			res.CleanRuns++
		}
		if p != nil || goexit || len(res.RunNS) >= maxRuns || int64(_speedup_time.Since(start)) > req.MaxNS {
			break
		}
	}
	s.finish(res)
	return p, goexit
}
