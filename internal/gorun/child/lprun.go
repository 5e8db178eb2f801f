package child

import (
	_speedup_context "context"
	_speedup_fmt "fmt"
	_speedup_os "os"
	_speedup_runtime "runtime"
	_speedup_pprof "runtime/pprof"
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
// and reported by the parent after the profile. _speedup_stmt runs the
// setup, then calls its argument, then runs the statement: what the
// setup does is neither timed nor counted. From that call on, the
// statement's goroutine and those it starts carry the profiler label
// speedup=stmt, by which the parent can tell their CPU samples from the
// setup's.

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

// _speedup_once runs the setup and the statement once on a new goroutine
// and waits for them; start is called between the two.
func _speedup_once(start func()) (p *_speedup_rawPanic, goexit bool) {
	done := make(chan struct{})
	go func() {
		// The setup's CPU samples are told apart from the statement's by
		// this label (see _speedup_ownLabels).
		_speedup_pprof.SetGoroutineLabels(_speedup_setupLabels)
		normal := false
		defer func() {
			if !normal {
				if v := recover(); v != nil {
					p = _speedup_capturePanic(v)
				} else {
					goexit = true
				}
			}
			close(done)
		}()
		_speedup_stmt(func() {
			_speedup_pprof.SetGoroutineLabels(_speedup_stmtLabels)
			start()
		})
		normal = true
	}()
	<-done
	return p, goexit
}

var _speedup_stmtLabels = _speedup_pprof.WithLabels(_speedup_context.Background(), _speedup_pprof.Labels("speedup", "stmt"))

// _speedup_hits runs the statement once in the instrumented build and
// puts its counts in res, then req.Repeat more times for the instrumented
// run time only. Between the two readings of the counters the harness
// calls only the runtime (its clock, its goroutine count): no call of its
// own may count in a profiled function of the standard library.
func _speedup_hits(req *_speedup_lprunRequest, res *_speedup_lprunReply) (*_speedup_panic, bool) {
	// What ran before the statement (package initialisation, the testing
	// package: a profiled standard function may run there) is not the
	// statement's: it is taken out.
	var base map[string][]uint64
	var baseT map[string][]int64
	var t0, t1 int64
	var g0 int
	p, goexit := _speedup_once(func() {
		base, baseT = _speedup_snapshot()
		g0 = _speedup_runtime.NumGoroutine()
		t0 = _speedup_nanotime()
	})
	if t0 != 0 {
		t1 = _speedup_nanotime()
	}
	// The goroutines the statement started and did not wait for count
	// when they end within a second (docs/lprun.md): g0 counted the
	// statement's own goroutine, which has ended.
	if g0 > 0 {
		res.Stray = _speedup_settle(g0 - 1)
	} else {
		_speedup_settle(-1)
	}
	_speedup_collect(res, base, baseT)
	res.RunNS = []int64{t1 - t0}
	if p == nil && !goexit {
		for range req.Repeat {
			// A repeat that fails is reported, never swallowed: its
			// panic is the request's result.
			if p, goexit = _speedup_once(func() { t0 = _speedup_nanotime() }); p != nil || goexit {
				break
			}
			res.RunNS = append(res.RunNS, _speedup_nanotime()-t0)
		}
	}
	return p.describeOrNil(), goexit
}

// _speedup_sample runs the statement repeatedly for the time
// measurement, in batches under the samplers (see _speedup_batches).
func _speedup_sample(req *_speedup_lprunRequest, res *_speedup_lprunReply) (*_speedup_panic, bool) {
	var p *_speedup_rawPanic
	var goexit bool
	s := _speedup_startSampler(req)
	_speedup_batches(req, res, s, func(start func()) bool {
		p, goexit = _speedup_once(start)
		return p != nil || goexit
	})
	s.finish()
	return p.describeOrNil(), goexit
}
