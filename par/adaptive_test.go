package par

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gospeedup/speedup/diag"
)

// fakeClock makes the adaptive start see items of a chosen cost, whatever
// the machine's load: the clock reads the number of items done times the
// cost of each.
type fakeClock struct {
	items atomic.Int64
	cost  func(i int64) time.Duration // cost of item i
	total atomic.Int64                // ns
}

func (f *fakeClock) item() {
	i := f.items.Add(1) - 1
	f.total.Add(int64(f.cost(i)))
}

func (f *fakeClock) now() time.Time { return time.Unix(0, f.total.Load()) }

// withClock runs fn with the fake clock and reports whether the workers
// were started.
func withClock(t *testing.T, c *fakeClock, fn func()) (spawned bool) {
	t.Helper()
	var n atomic.Int64
	now, testSpawned = c.now, func() { n.Add(1) }
	defer func() { now, testSpawned = time.Now, nil }()
	fn()
	if n.Load() > 1 {
		t.Errorf("workers started %d times", n.Load())
	}
	return n.Load() == 1
}

func TestAdaptiveStart(t *testing.T) {
	ctx := context.Background()
	xs := make([]int, 100_000)
	for i := range xs {
		xs[i] = i
	}
	for _, c := range []struct {
		name  string
		n     int
		cost  func(i int64) time.Duration
		want  bool
		chunk int
	}{
		{"trivial items stay serial", len(xs), func(int64) time.Duration { return 1 }, false, 0},
		{"costly items start the workers", len(xs), func(int64) time.Duration { return 100 }, true, 0},
		{"items dearer later start the workers then", len(xs), func(i int64) time.Duration {
			if i > 60_000 {
				return 100
			}
			return 1
		}, true, 0},
		{"little work stays serial", 1000, func(int64) time.Duration { return 20 }, false, 0},
		{"ChunkSize keeps the workers", len(xs), func(int64) time.Duration { return 1 }, true, 1000},
	} {
		clock := &fakeClock{cost: c.cost}
		rec := diag.NewRecorder()
		var got []int
		spawned := withClock(t, clock, func() {
			var err error
			got, err = Map(ctx, xs[:c.n], func(ctx context.Context, v int) (int, error) {
				clock.item()
				return 2*v + 1, nil
			}, Workers(2), Observe(rec), ChunkSize(c.chunk))
			if err != nil {
				t.Fatal(err)
			}
		})
		if c.chunk > 0 {
			// A fixed chunk size is not adaptive: the workers start at
			// once, outside the test hook.
			spawned = !spawned
		}
		if spawned != c.want {
			t.Errorf("%s: workers started: %v, want %v", c.name, spawned, c.want)
		}
		for i, v := range got {
			if v != 2*i+1 {
				t.Fatalf("%s: result %d = %d", c.name, i, v)
			}
		}
		if len(got) != c.n {
			t.Errorf("%s: %d results", c.name, len(got))
		}
		// The chunks are the same as without the adaptive start.
		size, count := (&config{workers: 2, chunk: c.chunk}).chunking(c.n)
		tasks := rec.Tasks()
		if len(tasks) != count {
			t.Errorf("%s: %d chunks observed, want %d of %d items", c.name, len(tasks), count, size)
		}
		if !c.want {
			for _, tk := range tasks {
				if tk.Worker != 0 {
					t.Errorf("%s: a serial loop ran chunk %d on worker %d", c.name, tk.ID, tk.Worker)
				}
			}
		}
	}
}

// Errors and panics during the timed start behave as anywhere else.
func TestAdaptiveErrorsAndPanics(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	for _, at := range []int{0, 3, 5000, 99_999} {
		err := For(ctx, 100_000, func(ctx context.Context, i int) error {
			if i == at {
				return boom
			}
			return nil
		}, Workers(2))
		if !errors.Is(err, boom) {
			t.Errorf("error at %d: %v", at, err)
		}
		func() {
			defer func() {
				pe, ok := recover().(*PanicError)
				if !ok || pe.Value != "bad item" {
					t.Errorf("panic at %d: %v", at, pe)
				}
			}()
			Map(ctx, make([]int, 100_000), func(ctx context.Context, v int) (int, error) {
				if v == 0 && at >= 0 {
					at = -1 // first item only
					panic("bad item")
				}
				return v, nil
			}, Workers(2))
		}()
	}
	cctx, cancel := context.WithCancel(ctx)
	var ran atomic.Int64
	err := For(cctx, 1_000_000, func(ctx context.Context, i int) error {
		if ran.Add(1) == 10 {
			cancel()
		}
		return nil
	}, Workers(2))
	if !errors.Is(err, context.Canceled) || ran.Load() > 500_000 {
		t.Errorf("cancelled during the start: %v after %d items", err, ran.Load())
	}
}
