package child

import (
	_speedup_json "encoding/json"
	_speedup_flag "flag"
	_speedup_fmt "fmt"
	_speedup_os "os"
	_speedup_debug "runtime/debug"
	_speedup_testing "testing"
)

// The timeit harness: the generated TestMain calls _speedup_timeitMain,
// which serves timing requests until the parent closes fd 3. The
// generated file provides _speedup_params (the parameters' variables by
// name) and _speedup_run, which runs the setup and then the statement in a
// b.Loop loop.
//
// Each request runs testing.Benchmark once with -test.benchtime=Nx, under
// which b.Loop runs exactly N iterations and the benchmark function runs
// once: testing calls runtime.GC before it, the first b.Loop call resets
// the timer and the allocation counters after the setup, and the compiler
// keeps the results of the loop body's calls and assignments alive.

var (
	_speedup_gcOff bool
	// _speedup_looped is set when the loops of a run are done.
	_speedup_looped bool
)

func _speedup_timeitMain() {
	_speedup_flag.Parse()
	if !_speedup_connect() {
		_speedup_fmt.Fprintln(_speedup_os.Stderr, "this program is run by speedup timeit")
		_speedup_os.Exit(2)
	}
	var req _speedup_request
	for _speedup_next(&req) {
		if req.Timeit == nil {
			_speedup_reply1(_speedup_reply{Error: "not a timeit request"})
			continue
		}
		_speedup_reply1(_speedup_timeitRun(req.Timeit))
	}
	_speedup_os.Exit(0)
}

// _speedup_timeitRun serves one request.
func _speedup_timeitRun(req *_speedup_timeitRequest) _speedup_reply {
	for name, raw := range req.Params {
		p, ok := _speedup_params[name]
		if !ok {
			return _speedup_reply{Error: "unknown parameter " + name}
		}
		if err := _speedup_json.Unmarshal([]byte(raw), p); err != nil {
			return _speedup_reply{Error: "parameter " + name + ": " + err.Error()}
		}
	}
	_speedup_gcOff = req.GCOff
	_speedup_looped = false
	if err := _speedup_flag.Set("test.benchtime", _speedup_fmt.Sprintf("%dx", req.Loops)); err != nil {
		return _speedup_reply{Error: err.Error()}
	}
	r := _speedup_testing.Benchmark(_speedup_bench)
	rep := _speedup_reply{Timeit: &_speedup_timeitReply{Loops: r.N, Ns: r.T.Nanoseconds(), Allocs: r.MemAllocs, Bytes: r.MemBytes}}
	if r.N == 0 && _speedup_looped {
		// testing discards a run that failed: under -race, one that raced.
		rep.Error = "the run failed after its loops were done (a data race found by --race? its report is above)"
	}
	return rep
}

// _speedup_bench is the benchmark function. A panic of the snippet is
// reported and ends the program: after a panic the benchmark's state is
// meaningless.
func _speedup_bench(b *_speedup_testing.B) {
	b.ReportAllocs()
	defer func() {
		if v := recover(); v != nil {
			_speedup_reply1(_speedup_reply{Panic: _speedup_recordPanic(v)})
			_speedup_os.Exit(3)
		}
	}()
	if _speedup_gcOff {
		defer _speedup_debug.SetGCPercent(_speedup_debug.SetGCPercent(-1))
	}
	_speedup_run(b)
	_speedup_looped = true
}
