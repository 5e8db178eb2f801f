package child

import (
	_speedup_fmt "fmt"
	_speedup_os "os"
	_speedup_runtime "runtime"
	_speedup_atomic "sync/atomic"
)

// The hooks of lprun --run and --test: the generated file's init calls
// _speedup_progInit, which reads the one request; main (or TestMain) is
// rewritten to call _speedup_dump when it returns or panics and
// _speedup_exit instead of os.Exit, so that the reply is sent when the
// program ends. In "time" mode the samplers run from init to the end, or,
// when the request says Loop, the plain build's main (or TestMain) hands
// itself to _speedup_loop on its first line, which repeats it inside the
// one process in batches, as a statement's runs are.

var (
	_speedup_progReq   _speedup_lprunRequest
	_speedup_progStart int64
	_speedup_sampling  *_speedup_sampler
	_speedup_dumped    _speedup_atomic.Bool
	// _speedup_progBase and _speedup_progBaseT are what the hooks' own
	// reading of the request counted (a profiled encoding/json, bufio or
	// os function), taken out of the results.
	_speedup_progBase  map[string][]uint64
	_speedup_progBaseT map[string][]int64
	// _speedup_looping is set while _speedup_loop repeats main;
	// _speedup_loopExit is the status of an os.Exit in the current run.
	_speedup_looping  bool
	_speedup_loopExit _speedup_atomic.Int64
)

func _speedup_progInit() {
	_speedup_progStart = _speedup_nanotime()
	b0, bt0 := _speedup_snapshot()
	defer func() {
		// The hooks' work counts in no profiled function: what reading
		// the request added is subtracted at the end.
		b1, bt1 := _speedup_snapshot()
		for id, c := range b1 {
			for i, v := range b0[id] {
				c[i] -= v
			}
		}
		for id, t := range bt1 {
			for i, v := range bt0[id] {
				t[i] -= v
			}
		}
		_speedup_progBase, _speedup_progBaseT = b1, bt1
	}()
	if !_speedup_connect() {
		return // run by hand: the hooks do nothing
	}
	var req _speedup_request
	if !_speedup_next(&req) || req.Lprun == nil {
		return
	}
	_speedup_progReq = *req.Lprun
	if _speedup_progReq.Mode == "time" && !_speedup_progReq.Loop {
		_speedup_sampling = _speedup_startSampler(&_speedup_progReq)
		if !_speedup_progReq.NoSnap {
			_speedup_sampling.running.Store(1)
		}
	}
}

// _speedup_dump sends the results, once, when the program ends. Until the
// counters are read it calls only the runtime (not sync.Once, not package
// time), so that it counts in no profiled function.
func _speedup_dump() {
	if _speedup_looping {
		return // the loop sends them
	}
	if !_speedup_dumped.CompareAndSwap(false, true) {
		return
	}
	if _speedup_out == nil || _speedup_progReq.Mode == "" {
		return
	}
	res := &_speedup_lprunReply{RunNS: []int64{_speedup_nanotime() - _speedup_progStart}}
	switch _speedup_progReq.Mode {
	case "hits":
		_speedup_settle(-1)
		_speedup_collect(res, _speedup_progBase, _speedup_progBaseT)
	case "time":
		s := _speedup_sampling
		s.running.Store(0)
		bt := _speedup_batch{Snap: !_speedup_progReq.NoSnap, Runs: 1, NS: res.RunNS[0]}
		n, paused, lines := s.take()
		if bt.Snap {
			bt.IntervalNS = s.interval.Load()
			bt.Samples, bt.PausedNS, bt.Lines = n, paused, lines
		}
		s.finish()
		res.Batches = []_speedup_batch{bt}
	}
	_speedup_reply1(_speedup_reply{Lprun: res})
}

// _speedup_exit replaces os.Exit in main. While main is repeated, it
// ends the current run instead (its goroutine exits, running main's
// deferred calls).
func _speedup_exit(code int) {
	if _speedup_looping {
		_speedup_loopExit.Store(int64(code))
		_speedup_runtime.Goexit()
	}
	_speedup_dump()
	_speedup_os.Exit(code)
}

// _speedup_loop repeats main (or the tests) when the request asks for it,
// sends the batches and ends the program; otherwise it returns false and
// main runs once, as written. A run that panics, or exits with a non-zero
// status, ends the loop with LoopErr set: the parent then runs the program
// once per process instead.
func _speedup_loop(main func()) bool {
	if _speedup_looping || _speedup_progReq.Mode != "time" || !_speedup_progReq.Loop {
		return false
	}
	_speedup_looping = true
	res := &_speedup_lprunReply{}
	s := _speedup_startSampler(&_speedup_progReq)
	_speedup_batches(&_speedup_progReq, res, s, func(start func()) bool {
		_speedup_loopExit.Store(0)
		done := make(chan struct{})
		var failure string
		go func() {
			normal := false
			defer func() {
				if !normal {
					if v := recover(); v != nil {
						failure = _speedup_fmt.Sprintf("it panicked: %v", v)
					} else if code := _speedup_loopExit.Load(); code != 0 {
						failure = _speedup_fmt.Sprintf("it exited with status %d", code)
					}
				}
				close(done)
			}()
			start()
			main()
			normal = true
		}()
		<-done
		if failure != "" {
			res.LoopErr = failure
			return true
		}
		return false
	})
	s.finish()
	_speedup_reply1(_speedup_reply{Lprun: res})
	_speedup_os.Exit(0)
	return true
}
