package footer

import (
	_lpruntime_ID "runtime"
	_lpsync_ID "sync"
	_lpatomic_ID "sync/atomic"
	_ "unsafe"
)

// The per-file line times of --exact-time.
var _lpTm_ID [_lpNS_ID]int64

//go:linkname _lpDT_ID
func _lpDT_ID() []int64 { return _lpTm_ID[:] }

//go:linkname _lpnanotime_ID runtime.nanotime
func _lpnanotime_ID() int64

// _lpAct_ID is one activation being timed.
type _lpAct_ID struct {
	fn     int // which function of the file
	c      []uint64
	t      []int64
	prev   int   // the line slot being timed, -1 before the first
	last   int64 // when it started
	start  int64
	rec    int64 // time of nested activations of the same function since last
	parent *_lpAct_ID
	g      uint64
}

// The innermost activation of this file per goroutine, so that a nested
// activation of the same function can give its time back to the caller's
// line.
var (
	_lpMu_ID  _lpsync_ID.Mutex
	_lpTop_ID = map[uint64]*_lpAct_ID{}
)

// _lpGoid_ID returns the goroutine's id from the header of its stack
// trace ("goroutine 7 [running]:"): slow (about a microsecond), paid once
// per activation in this mode only.
func _lpGoid_ID() uint64 {
	var b [64]byte
	n := _lpruntime_ID.Stack(b[:], false)
	var id uint64
	for _, c := range b[len("goroutine "):n] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uint64(c-'0')
	}
	return id
}

// _lpEnter_ID starts an activation. Its start is taken first and its
// parent is given the whole activation back at its end, so that the
// bookkeeping of a nested activation of the same function (the goroutine
// lookup above all) is charged to neither's lines.
func _lpEnter_ID(fn int, c []uint64, t []int64) *_lpAct_ID {
	start := _lpnanotime_ID()
	a := &_lpAct_ID{fn: fn, c: c, t: t, prev: -1, g: _lpGoid_ID(), start: start}
	_lpMu_ID.Lock()
	a.parent = _lpTop_ID[a.g]
	_lpTop_ID[a.g] = a
	_lpMu_ID.Unlock()
	_lpatomic_ID.AddInt64(&_lpA_ID, 1)
	a.last = _lpnanotime_ID()
	return a
}

// _lpK_ID ends the running line's interval and starts line k's.
func _lpK_ID(a *_lpAct_ID, k int) {
	now := _lpnanotime_ID()
	if a.prev >= 0 {
		a.t[a.prev] += now - a.last - a.rec
	}
	a.rec = 0
	a.prev, a.last = k, now
	a.c[k]++
}

func _lpKT_ID(a *_lpAct_ID, k int) bool { _lpK_ID(a, k); return true }

func _lpRT_ID[T any](a *_lpAct_ID, k int, v T) T { _lpK_ID(a, k); return v }

func _lpExit_ID(base int, a *_lpAct_ID) {
	now := _lpnanotime_ID()
	if a.prev >= 0 {
		a.t[a.prev] += now - a.last - a.rec
	}
	_lpMu_ID.Lock()
	if a.parent == nil {
		delete(_lpTop_ID, a.g)
	} else {
		_lpTop_ID[a.g] = a.parent
	}
	_lpMu_ID.Unlock()
	for i, v := range a.t {
		if v != 0 {
			_lpatomic_ID.AddInt64(&_lpTm_ID[base+i], v)
		}
	}
	_lpF_ID(base, a.c)
	for p := a.parent; p != nil; p = p.parent {
		if p.fn == a.fn {
			// Same goroutine: p is suspended in the call that led here.
			p.rec += _lpnanotime_ID() - a.start
			break
		}
	}
}
