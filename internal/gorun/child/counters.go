package child

import (
	_speedup_runtime "runtime"
	_speedup_time "time"
)

// The instrumented build's counters, read through the accessors that the
// generated file declares (_speedup_counts, _speedup_times,
// _speedup_active), for lprun's statement harness and program hooks.

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

// _speedup_collect puts the counters, less base and baseT, in res, with
// the number of activations that have not flushed theirs (see
// _speedup_settle).
func _speedup_collect(res *_speedup_lprunReply, base map[string][]uint64, baseT map[string][]int64) {
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

// _speedup_settle waits, up to a second, until every profiled activation
// has flushed its counters (goroutines the run waited for may still be
// between their last deferred call and their flush) and, when want >= 0,
// no more than want goroutines are running; it returns how many goroutines
// beyond want still run. It calls only the runtime (time.Sleep is the
// runtime's), so that it counts in no profiled function.
func _speedup_settle(want int) int {
	deadline := _speedup_nanotime() + 1e9
	for {
		n := _speedup_runtime.NumGoroutine()
		if (want < 0 || n <= want) && _speedup_active() == 0 {
			return 0
		}
		if _speedup_nanotime() > deadline {
			if want < 0 {
				return 0
			}
			return max(n-want, 0)
		}
		_speedup_time.Sleep(_speedup_time.Millisecond)
	}
}
