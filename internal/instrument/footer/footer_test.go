package footer

import (
	"sync"
	"testing"
)

// TestFlush: activations add their counters into the file's totals and
// are counted while they run.
func TestFlush(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		_lpA_ID++ // as the instrumented prologue does, atomically
		go func() {
			defer wg.Done()
			_lpF_ID(1, []uint64{2, 0, 3})
		}()
	}
	wg.Wait()
	if got := _lpD_ID(); got[0] != 0 || got[1] != 16 || got[2] != 0 || got[3] != 24 {
		t.Errorf("totals %v", got)
	}
	if n := _lpN_ID(); n != 0 {
		t.Errorf("%d activations still running", n)
	}
}

// TestTimedRecursion: a nested activation of the same function gives its
// time back to the calling line, so nothing counts twice.
func TestTimedRecursion(t *testing.T) {
	if _lpGoid_ID() == 0 {
		t.Fatal("no goroutine id")
	}
	c, tm := make([]uint64, 2), make([]int64, 2)
	outer := _lpEnter_ID(0, c, tm)
	_lpK_ID(outer, 0)
	ci, ti := make([]uint64, 2), make([]int64, 2)
	inner := _lpEnter_ID(0, ci, ti)
	_lpK_ID(inner, 1)
	for i := 0; i < 1e5; i++ {
		_ = i * i
	}
	_lpExit_ID(0, inner)
	_lpExit_ID(0, outer)
	if c[0] != 1 || ci[1] != 1 {
		t.Errorf("counts %v %v", c, ci)
	}
	if tm[0] > ti[1] {
		t.Errorf("the calling line's time %d ns includes the nested activation's %d ns", tm[0], ti[1])
	}
}
