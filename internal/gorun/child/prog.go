package child

import (
	_speedup_os "os"
	_speedup_sync "sync"
	_speedup_time "time"
)

// The hooks of lprun --run and --test: the generated file's init calls
// _speedup_progInit, which reads the one request; main (or TestMain) is
// rewritten to call _speedup_dump when it returns or panics and
// _speedup_exit instead of os.Exit, so that the reply is sent when the
// program ends. In "time" mode the samplers run from init to the end.

var (
	_speedup_progReq   _speedup_lprunRequest
	_speedup_progStart _speedup_time.Time
	_speedup_sampling  *_speedup_sampler
	_speedup_dumped    _speedup_sync.Once
)

func _speedup_progInit() {
	_speedup_progStart = _speedup_time.Now()
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

// _speedup_dump sends the results, once, when the program ends.
func _speedup_dump() {
	_speedup_dumped.Do(func() {
		if _speedup_out == nil || _speedup_progReq.Mode == "" {
			return
		}
		res := &_speedup_lprunReply{RunNS: []int64{int64(_speedup_time.Since(_speedup_progStart))}}
		switch _speedup_progReq.Mode {
		case "hits":
			_speedup_collect(res, nil, nil)
		case "time":
			_speedup_sampling.running.Store(0)
			_speedup_sampling.finish(res)
		}
		_speedup_reply1(_speedup_reply{Lprun: res})
	})
}

// _speedup_exit replaces os.Exit in main.
func _speedup_exit(code int) {
	_speedup_dump()
	_speedup_os.Exit(code)
}
