// Package par runs loops in parallel: Map and For over an index range or a
// slice, MapReduce for reductions over large slices, and a Pool of futures
// that can be taken as they complete (like Dask's futures and as_completed).
//
// Every function follows the same rules, so that switching a loop from
// serial to parallel changes nothing but its speed:
//
//   - Work is split into chunks that workers take one at a time; by default
//     there are GOMAXPROCS workers and about 16 chunks per worker, so that a
//     Map over a million tiny items costs a few hundred chunk hand-offs, not
//     a million, while a Map over a few slow items still balances them.
//   - Parallelism must pay for itself: For and Map with automatic chunks
//     (and at least 64 items per worker) start in the caller's goroutine
//     alone, timing the first items, and start the other workers only when
//     an item costs at least about 3 ns and the remaining work at least
//     about 50 µs. Cheaper loops (x*2+1 over a slice) are bound by memory
//     traffic, and a second core was measured no faster than one on them;
//     they stay serial, with no goroutine started. The decision is taken
//     again after each chunk, so items that get dearer further on still get
//     the workers. Chunks, results, errors and observers' events are the
//     same either way. ChunkSize turns this off, as does MapReduce, whose
//     chunks must be whole.
//   - Workers(1) runs everything inline in the caller's goroutine, in order:
//     the parallel code becomes plain serial code, deterministic and easy to
//     step through in a debugger (Dask's synchronous scheduler).
//   - The first error cancels the context passed to the other tasks, stops
//     the scheduling of new ones, and is returned.
//   - A panic in a task never crashes the process from a worker goroutine: it
//     is recovered, the rest is stopped, and it is raised again in the
//     caller's goroutine as a *PanicError that carries the task's stack.
//   - Cancelling ctx stops the scheduling of new work at once (work already
//     running sees ctx.Done); the call then returns ctx.Err().
//
// Diagnostics: Observe(o) reports every chunk to a diag.Observer; with no
// observer nothing is timed or reported. When runtime/trace is enabled each
// call is a trace task and each chunk a region. Each worker runs under the
// pprof label task=<name> (set once per worker, so it is free), so CPU
// profiles can be split by loop.
package par

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gospeedup/speedup/diag"
	"github.com/gospeedup/speedup/internal/panicerr"
)

// An Option configures a parallel call: Workers, ChunkSize, Observe, Name.
type Option func(*config)

type config struct {
	workers int
	chunk   int
	obs     diag.Observer
	name    string
}

// Workers sets the number of workers (goroutines, the caller's included).
// n <= 0 means runtime.GOMAXPROCS(0), the default. Workers(1) runs the work
// inline in the caller's goroutine, in index order.
func Workers(n int) Option { return func(c *config) { c.workers = n } }

// ChunkSize sets how many consecutive items a worker takes at once. n <= 0
// means automatic: about 16 chunks per worker, which keeps scheduling
// negligible for tiny items and still balances the load of slow ones. Give
// a size when items differ wildly in cost (ChunkSize(1) for a few slow
// items) or to fix the grain of a MapReduce.
func ChunkSize(n int) Option { return func(c *config) { c.chunk = n } }

// Observe reports the call to o: Begin with the number of chunks, TaskStart
// and TaskEnd for each chunk (a chunk is the unit of scheduling, so it is
// what a timeline should show), then End. A nil o reports nothing.
func Observe(o diag.Observer) Option { return func(c *config) { c.obs = o } }

// Name names the call's tasks, for observers, runtime/trace regions, pprof
// labels and PanicError; the default is "map", "for", "mapreduce" or "pool".
func Name(name string) Option { return func(c *config) { c.name = name } }

func newConfig(kind string, opts []Option) config {
	c := config{name: kind}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.workers <= 0 {
		c.workers = runtime.GOMAXPROCS(0)
	}
	if c.name == "" {
		c.name = kind
	}
	return c
}

// chunksPerWorker is the automatic grain: enough chunks that a worker held up
// by one slow chunk leaves at most 1/16 of its share to the others, few
// enough that a million tiny items make only a few hundred hand-offs.
const chunksPerWorker = 16

// chunking returns the chunk size and the number of chunks for n items.
func (c *config) chunking(n int) (size, count int) {
	size = c.chunk
	if size <= 0 {
		size = (n + c.workers*chunksPerWorker - 1) / (c.workers * chunksPerWorker)
		if size < 1 {
			size = 1
		}
	}
	return size, (n + size - 1) / size
}

// PanicError is a panic recovered from a task. The parallel call that ran
// the task panics again with it in the caller's goroutine, so that the
// process never dies from a worker goroutine, a deferred recover in the
// caller works as with serial code, and the task's own stack (where the
// panic happened) is not lost.
type PanicError struct {
	// Task is the name of the task that panicked.
	Task string
	// Value is the value the task panicked with.
	Value any
	// Stack is the panicking goroutine's stack, taken where it panicked.
	Stack []byte
}

// Error returns the panic value and the stack of the task that panicked.
func (p *PanicError) Error() string {
	return fmt.Sprintf("panic in task %q: %v\n\ntask stack:\n%s", p.Task, p.Value, p.Stack)
}

// String is Error, so that the runtime's crash report shows the task's stack.
func (p *PanicError) String() string { return p.Error() }

// Unwrap returns the panic value when it is an error (such as a
// runtime.Error), for errors.Is and errors.As.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// Recovered turns a recovered panic value into a *PanicError for the task
// named task, taking the current stack (so call it in the deferred function
// that recovered). A value that already is a *PanicError, from a nested
// parallel call, is returned as is so that the innermost stack is kept.
func Recovered(task string, v any) *PanicError {
	if p, ok := v.(*PanicError); ok {
		return p
	}
	return &PanicError{Task: task, Value: v, Stack: debug.Stack()}
}

// taskEnd reports t to o and returns a panic of o.TaskEnd as a
// *PanicError (see internal/panicerr).
func taskEnd(o diag.Observer, name string, t diag.Task) *PanicError {
	p, _ := panicerr.TaskEnd(o, t, func(v any) *PanicError { return Recovered(name, v) })
	return p
}

// run is the engine behind For, Map and MapReduce: it runs body over [0, n)
// in chunks. body gets a stop flag to poll between items, so that an error
// elsewhere or a cancelled ctx ends its chunk early.
type run struct {
	c      *config
	ctx    context.Context
	cancel context.CancelFunc
	stop   atomic.Bool
	next   atomic.Int64 // next chunk to take
	size   int
	count  int
	n      int
	traced bool

	mu    sync.Mutex
	err   error
	panic *PanicError
}

type chunkFunc func(ctx context.Context, chunk, lo, hi int, stop *atomic.Bool) error

func (r *run) fail(err error, p *PanicError) {
	r.mu.Lock()
	if p != nil && r.panic == nil {
		r.panic = p
	}
	if err != nil && r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
	r.stop.Store(true)
	r.cancel()
}

// do runs every chunk and returns the first error; it panics with the first
// task panic. itemwise says that body may be called on any sub-range of a
// chunk (For and Map, not MapReduce), which the adaptive start needs.
func do(ctx context.Context, n int, c *config, itemwise bool, body chunkFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if n <= 0 {
		return nil
	}
	r := &run{c: c, n: n}
	r.size, r.count = c.chunking(n)
	workers := min(c.workers, r.count)
	parent := ctx
	ctx, r.cancel = context.WithCancel(ctx)
	defer r.cancel()
	// A cancelled parent must stop scheduling without each item paying for
	// a ctx.Err call (it takes a lock): the flag is one atomic load.
	stopAfter := context.AfterFunc(ctx, func() { r.stop.Store(true) })
	defer stopAfter()
	ctx = diag.WithTaskName(ctx, c.name)
	if trace.IsEnabled() {
		var task *trace.Task
		ctx, task = trace.NewTask(ctx, c.name)
		defer task.End()
		r.traced = true
	}
	r.ctx = ctx
	if c.obs != nil {
		c.obs.Begin(r.count, workers)
		defer c.obs.End()
	}
	var wg sync.WaitGroup
	spawn := func() {
		for w := 1; w < workers; w++ {
			wg.Go(func() { r.worker(w, body) })
		}
	}
	// The caller is worker 0: Workers(1) starts no goroutine at all.
	if itemwise && c.chunk <= 0 && workers > 1 && n >= adaptiveMinItems*workers {
		r.adaptive(body, spawn)
	} else {
		spawn()
		r.worker(0, body)
	}
	wg.Wait()
	if r.panic != nil {
		panic(r.panic)
	}
	if r.err != nil {
		return r.err
	}
	return parent.Err()
}

// The adaptive start (see the package documentation): a parallel loop pays
// for starting and feeding its workers, and on items that cost a few
// nanoseconds a second core does not make the loop faster, memory traffic
// bounds it (bench/parlazy measures it). So For and Map with automatic
// chunks first run in the caller alone, timing the items, and start the
// other workers only once the remaining work is worth it. The chunks are
// the same either way, so observers, results and errors do not change.
const (
	// probeTime is how long the caller times the first items before it
	// decides: long enough for a steady per-item cost, short enough that
	// a loop worth parallelizing loses nothing noticeable.
	probeTime = 10 * time.Microsecond
	// minItemCost is the per-item cost below which a loop stays serial:
	// such an item is a handful of instructions, and two cores were
	// measured no faster than one on it (bench/parlazy: 1.5-2 ns per item
	// serial and parallel alike on a quiet machine, up to 3 ns under load;
	// 3.5 ns items gain 1.4x).
	minItemCost = 3 // ns
	// minParallelWork is the remaining work below which a loop stays
	// serial: about what starting and feeding the workers costs on a busy
	// machine.
	minParallelWork = 50 * time.Microsecond
	// adaptiveMinItems, per worker, is the fewest items for which the start
	// is adaptive: with fewer, a chunk holds few items, and running one of
	// them alone first could delay a loop of a few slow items by up to one
	// item; with at least 64 per worker that is under 2% of its time.
	adaptiveMinItems = 64
)

// now is the adaptive start's clock, and testSpawned is called when it
// starts the workers: both for tests.
var (
	now         = time.Now
	testSpawned func()
)

// pays reports whether items costing perItem (ns) each, remaining of them,
// are worth starting the workers for.
func pays(perItem float64, remaining int) bool {
	return perItem >= minItemCost && perItem*float64(remaining) >= float64(minParallelWork)
}

// adaptive is worker 0's loop with the adaptive start: it times the first
// items of chunk 0 in growing batches, then every chunk, and calls spawn
// (once) as soon as the work left pays for the other workers.
func (r *run) adaptive(body chunkFunc, spawn func()) {
	spawned := false
	start := func() {
		if !spawned {
			spawned = true
			if testSpawned != nil {
				testSpawned()
			}
			spawn()
		}
	}
	// probe runs chunk 0 in batches of 1, 2, 4, ... items until probeTime
	// has passed, then decides and runs the rest of the chunk at once. The
	// cost per item is the lowest of the batches of at least 256 items (the
	// clock's own cost is then negligible): a batch whose goroutine was
	// preempted by another process must not make items look dear.
	probe := func(ctx context.Context, ci, lo, hi int, stop *atomic.Bool) error {
		t0 := now()
		batch := 1
		best := math.Inf(1)
		for i := lo; i < hi; {
			j := min(i+batch, hi)
			b0 := now()
			if err := body(ctx, ci, i, j, stop); err != nil {
				return err
			}
			if stop.Load() {
				return nil
			}
			if j-i >= 256 {
				best = min(best, float64(now().Sub(b0).Nanoseconds())/float64(j-i))
			}
			i = j
			if el := now().Sub(t0); el >= probeTime {
				per := best
				if math.IsInf(best, 1) {
					per = float64(el.Nanoseconds()) / float64(i-lo)
				}
				if pays(per, r.n-i) {
					start()
				}
				return body(ctx, ci, i, hi, stop)
			}
			batch *= 2
		}
		return nil
	}
	last := math.Inf(1) // per-item cost of the previous chunk
	pprof.Do(r.ctx, pprof.Labels("task", r.c.name), func(ctx context.Context) {
		for !r.stop.Load() && ctx.Err() == nil {
			ci := int(r.next.Add(1) - 1)
			if ci >= r.count {
				return
			}
			lo := ci * r.size
			hi := min(lo+r.size, r.n)
			if spawned {
				r.chunk(ctx, 0, ci, lo, hi, body)
				continue
			}
			t0 := now()
			if ci == 0 {
				r.chunk(ctx, 0, ci, lo, hi, probe)
			} else {
				r.chunk(ctx, 0, ci, lo, hi, body)
			}
			// Items may get dearer further on: decide again after each
			// chunk, on the cheaper of this chunk and the previous one,
			// so that one chunk slowed by another process does not count.
			per := float64(now().Sub(t0).Nanoseconds()) / float64(hi-lo)
			if !spawned && ci > 0 && pays(min(per, last), r.n-hi) {
				start()
			}
			last = per
		}
	})
}

func (r *run) worker(w int, body chunkFunc) {
	// One pprof.Do per worker, not per chunk: all chunks share the name, so
	// labelling costs nothing per task.
	pprof.Do(r.ctx, pprof.Labels("task", r.c.name), func(ctx context.Context) {
		// ctx.Err once per chunk as well as the flag: the flag is set by
		// context.AfterFunc's goroutine, which may not run before busy
		// workers finish their chunks.
		for !r.stop.Load() && ctx.Err() == nil {
			ci := int(r.next.Add(1) - 1)
			if ci >= r.count {
				return
			}
			lo := ci * r.size
			hi := min(lo+r.size, r.n)
			r.chunk(ctx, w, ci, lo, hi, body)
		}
	})
}

func (r *run) chunk(ctx context.Context, w, ci, lo, hi int, body chunkFunc) {
	var t diag.Task
	if r.c.obs != nil {
		t = diag.Task{ID: int64(ci), Name: r.c.name, Worker: w, Start: time.Now()}
	}
	if r.traced {
		defer trace.StartRegion(ctx, r.c.name).End()
	}
	var err error
	defer func() {
		if v := recover(); v != nil {
			p := Recovered(r.c.name, v)
			err = p
			r.fail(nil, p)
		}
		if r.c.obs != nil {
			t.End = time.Now()
			t.Err = err
			if p := taskEnd(r.c.obs, r.c.name, t); p != nil {
				r.fail(nil, p)
			}
		}
	}()
	if r.c.obs != nil {
		// After the deferred recover: a panicking observer must not
		// crash the process from a worker goroutine either.
		r.c.obs.TaskStart(t)
	}
	err = body(ctx, ci, lo, hi, &r.stop)
	if err != nil {
		r.fail(err, nil)
	}
}

// For calls fn(ctx, i) for every i in [0, n) on parallel workers, and
// returns the first error (which cancels ctx for the other calls and stops
// the scheduling of new ones). See the package documentation for chunking,
// cancellation and panics.
//
//	err := par.For(ctx, len(rows), func(ctx context.Context, i int) error {
//		out[i] = process(rows[i])
//		return nil
//	})
func For(ctx context.Context, n int, fn func(ctx context.Context, i int) error, opts ...Option) error {
	c := newConfig("for", opts)
	return do(ctx, n, &c, true, func(ctx context.Context, _, lo, hi int, stop *atomic.Bool) error {
		for i := lo; i < hi; i++ {
			if stop.Load() {
				return nil
			}
			if err := fn(ctx, i); err != nil {
				return err
			}
		}
		return nil
	})
}

// Map returns fn applied to every item, in the order of items, computed on
// parallel workers. On error it returns nil and the first error, which
// cancels ctx for the other calls. See the package documentation for
// chunking, cancellation and panics.
//
//	sq, err := par.Map(ctx, []int{1, 2, 3}, func(ctx context.Context, v int) (int, error) {
//		return v * v, nil
//	}) // [1 4 9]
func Map[T, R any](ctx context.Context, items []T, fn func(ctx context.Context, item T) (R, error), opts ...Option) ([]R, error) {
	c := newConfig("map", opts)
	out := make([]R, len(items))
	err := do(ctx, len(items), &c, true, func(ctx context.Context, _, lo, hi int, stop *atomic.Bool) error {
		// Re-slicing lets the compiler drop the bounds checks in the loop.
		in, res := items[lo:hi], out[lo:hi]
		for i := range in {
			if stop.Load() {
				return nil
			}
			r, err := fn(ctx, in[i])
			if err != nil {
				return err
			}
			res[i] = r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MapReduce reduces a large slice in chunks: mapChunk turns each chunk of
// consecutive items into a partial result (on parallel workers), then merge
// folds the partials, in chunk order, in the caller's goroutine. merge must
// be associative (merge(merge(a, b), c) == merge(a, merge(b, c))) but need
// not be commutative: the order is fixed, so floating-point results are the
// same from run to run for a given chunk size and worker count. Pass
// ChunkSize to fix the chunking independently of the number of workers.
//
// With no items, MapReduce returns the zero A without calling mapChunk.
//
// A mean, for example, maps each chunk to a (count, sum) pair:
//
//	type part struct{ n, sum float64 }
//	p, err := par.MapReduce(ctx, xs,
//		func(ctx context.Context, c []float64) (part, error) {
//			s := 0.0
//			for _, v := range c {
//				s += v
//			}
//			return part{float64(len(c)), s}, nil
//		},
//		func(a, b part) part { return part{a.n + b.n, a.sum + b.sum} })
//	mean := p.sum / p.n
func MapReduce[T, A any](ctx context.Context, items []T, mapChunk func(ctx context.Context, chunk []T) (A, error), merge func(A, A) A, opts ...Option) (A, error) {
	c := newConfig("mapreduce", opts)
	var zero A
	_, count := c.chunking(len(items))
	parts := make([]A, count)
	err := do(ctx, len(items), &c, false, func(ctx context.Context, ci, lo, hi int, _ *atomic.Bool) error {
		p, err := mapChunk(ctx, items[lo:hi])
		if err != nil {
			return err
		}
		parts[ci] = p
		return nil
	})
	if err != nil || len(parts) == 0 {
		return zero, err
	}
	acc := parts[0]
	for _, p := range parts[1:] {
		acc = merge(acc, p)
	}
	return acc, nil
}
