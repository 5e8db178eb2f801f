package child

import _speedup_time "time"

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
