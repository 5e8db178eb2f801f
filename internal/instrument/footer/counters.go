package footer

import (
	_lpatomic_ID "sync/atomic"
	_ "unsafe"
)

// The per-file line counters.
var _lpH_ID [_lpNS_ID]uint64

// _lpA_ID counts the activations running, so that the harness can wait for
// the flushes of goroutines that signal their end (wg.Done in a defer)
// before the deferred flush has run.
var _lpA_ID int64

//go:linkname _lpD_ID
func _lpD_ID() []uint64 { return _lpH_ID[:] }

//go:linkname _lpN_ID
func _lpN_ID() int64 { return _lpatomic_ID.LoadInt64(&_lpA_ID) }

// _lpF_ID adds an activation's counters to the file's totals.
func _lpF_ID(base int, c []uint64) {
	h := _lpH_ID[base : base+len(c)]
	for i, v := range c {
		if v != 0 {
			_lpatomic_ID.AddUint64(&h[i], v)
		}
	}
	_lpatomic_ID.AddInt64(&_lpA_ID, -1)
}

// _lpT_ID counts one evaluation of a loop or if condition.
func _lpT_ID(p *uint64) bool { *p++; return true }

// _lpR_ID counts one evaluation of a range or switch expression.
func _lpR_ID[T any](p *uint64, v T) T { *p++; return v }
