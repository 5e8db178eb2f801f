package child

import (
	_speedup_os "os"
	_speedup_atomic "sync/atomic"
)

// The hooks of lprun --run and --test: the generated file's init calls
// _speedup_progInit, which reads the one request; main (or TestMain) is
// rewritten to call _speedup_dump when it returns or panics and
// _speedup_exit instead of os.Exit, so that the reply is sent when the
// program ends. In "time" mode the samplers run from init to the end.

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
	if _speedup_progReq.Mode == "time" {
		_speedup_sampling = _speedup_startSampler(&_speedup_progReq)
		_speedup_sampling.running.Store(1)
	}
}

// _speedup_dump sends the results, once, when the program ends. Until the
// counters are read it calls only the runtime (not sync.Once, not package
// time), so that it counts in no profiled function.
func _speedup_dump() {
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
		_speedup_sampling.running.Store(0)
		_speedup_sampling.finish(res)
	}
	_speedup_reply1(_speedup_reply{Lprun: res})
}

// _speedup_exit replaces os.Exit in main.
func _speedup_exit(code int) {
	_speedup_dump()
	_speedup_os.Exit(code)
}
