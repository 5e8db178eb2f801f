package par

import (
	"context"
	"errors"
	"iter"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"time"

	"github.com/gospeedup/speedup/diag"
)

// ErrPoolClosed is the error of a future submitted to a Pool after its Wait.
var ErrPoolClosed = errors.New("par: pool closed")

// A Pool runs submitted functions on a bounded number of workers and gives
// back a Future for each, like Dask's client.submit. Submit never blocks:
// tasks wait in a first-in-first-out queue. Worker goroutines are started
// on demand and exit when the queue is empty, so an idle Pool holds no
// goroutine.
//
// As everywhere in par, the first error or panic cancels the pool's context
// (tasks still queued then end with the context's error without running),
// and Wait returns it. A panic is raised again, as a *PanicError, by Wait
// and by the panicking task's Future.Wait. With Workers(1), Submit runs the
// task inline, before it returns.
//
// Create a Pool with NewPool; end it with Wait, which calls the observer's
// End. Submit may be called from any goroutine, including the pool's own
// tasks, but not concurrently with Wait once every task has ended (Wait
// could return before the new task was counted).
//
//	p := par.NewPool(ctx, par.Workers(4))
//	a := par.Submit(p, func(ctx context.Context) (int, error) { return slow(1), nil })
//	b := par.Submit(p, func(ctx context.Context) (int, error) { return slow(2), nil })
//	for f := range par.AsCompleted(a, b) {
//		v, err := f.Wait() // does not block: f is done
//		...
//	}
//	err := p.Wait()
type Pool struct {
	c      config
	ctx    context.Context
	cancel context.CancelFunc
	task   *trace.Task // nil unless runtime/trace was on at NewPool

	mu      sync.Mutex
	queue   []func(ctx context.Context, worker int)
	head    int   // queue[head:] is pending
	free    []int // worker indexes not in use
	pending sync.WaitGroup
	nextID  int64
	closed  bool
	err     error
	panic   *PanicError
}

// NewPool returns a Pool whose tasks get a context derived from ctx.
// Options: Workers (default GOMAXPROCS), Observe, Name (the tasks' name,
// default "pool"); ChunkSize is ignored.
func NewPool(ctx context.Context, opts ...Option) *Pool {
	p := &Pool{c: newConfig("pool", opts)}
	p.ctx, p.cancel = context.WithCancel(ctx)
	p.ctx = diag.WithTaskName(p.ctx, p.c.name)
	if trace.IsEnabled() {
		p.ctx, p.task = trace.NewTask(p.ctx, p.c.name)
	}
	for w := p.c.workers - 1; w >= 0; w-- {
		p.free = append(p.free, w)
	}
	if p.c.obs != nil {
		p.c.obs.Begin(0, p.c.workers)
	}
	return p
}

// Context returns the pool's context, which is cancelled at its first error
// and by Wait.
func (p *Pool) Context() context.Context { return p.ctx }

// A Future is the result of a task submitted to a Pool; it is safe to use
// from several goroutines.
type Future[R any] struct {
	done  chan struct{}
	val   R
	err   error
	panic *PanicError

	mu     sync.Mutex
	isDone bool
	notify []chan<- *Future[R] // AsCompleted listeners
}

// Done returns a channel closed when the task has ended, for select.
func (f *Future[R]) Done() <-chan struct{} { return f.done }

// Wait blocks until the task has ended and returns its result. If the task
// panicked, Wait panics with the *PanicError (in the caller's goroutine).
func (f *Future[R]) Wait() (R, error) {
	<-f.done
	if f.panic != nil {
		panic(f.panic)
	}
	return f.val, f.err
}

func (f *Future[R]) finish(v R, err error, pe *PanicError) {
	f.val, f.err, f.panic = v, err, pe
	f.mu.Lock()
	f.isDone = true
	ls := f.notify
	f.notify = nil
	f.mu.Unlock()
	close(f.done)
	for _, c := range ls {
		c <- f // buffered: never blocks
	}
}

// Submit queues fn on the pool and returns its future. fn gets the pool's
// context, cancelled at the pool's first error. Submit is a function, not a
// method, because Go methods cannot have type parameters.
func Submit[R any](p *Pool, fn func(ctx context.Context) (R, error)) *Future[R] {
	f := &Future[R]{done: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		var zero R
		f.finish(zero, ErrPoolClosed, nil)
		return f
	}
	id := p.nextID
	p.nextID++
	p.pending.Add(1)
	run := func(ctx context.Context, worker int) {
		defer p.pending.Done()
		var zero R
		if err := ctx.Err(); err != nil {
			// Skipped, not run: Wait must not report success for it (the
			// first error, if any, was recorded before the cancellation).
			p.fail(err, nil)
			f.finish(zero, err, nil)
			return
		}
		v, err, pe := runTask(ctx, &p.c, id, worker, fn)
		if pe != nil || err != nil {
			p.fail(err, pe)
		}
		if pe != nil {
			v = zero
		}
		f.finish(v, err, pe)
	}
	if p.c.workers == 1 {
		// Inline, like Dask's synchronous scheduler: deterministic and
		// debuggable. The caller's goroutine is worker 0.
		p.mu.Unlock()
		run(p.ctx, 0)
		return f
	}
	p.queue = append(p.queue, run)
	if len(p.free) > 0 {
		w := p.free[len(p.free)-1]
		p.free = p.free[:len(p.free)-1]
		go p.worker(w)
	}
	p.mu.Unlock()
	return f
}

// runTask runs one pool task with its diagnostics, recovering a panic.
//
//lint:ignore ST1008 the panic is a third outcome, after the task's own error
func runTask[R any](ctx context.Context, c *config, id int64, worker int, fn func(context.Context) (R, error)) (v R, err error, pe *PanicError) {
	var t diag.Task
	if c.obs != nil {
		t = diag.Task{ID: id, Name: c.name, Worker: worker, Start: time.Now()}
	}
	if trace.IsEnabled() {
		defer trace.StartRegion(ctx, c.name).End()
	}
	defer func() {
		if r := recover(); r != nil {
			pe = Recovered(c.name, r)
			err = pe
		}
		if c.obs != nil {
			t.End = time.Now()
			t.Err = err
			if p := taskEnd(c.obs, c.name, t); p != nil && pe == nil {
				pe, err = p, p
			}
		}
	}()
	if c.obs != nil {
		c.obs.TaskStart(t) // after the deferred recover, as in run.chunk
	}
	v, err = fn(ctx)
	return v, err, nil
}

func (p *Pool) worker(w int) {
	pprof.Do(p.ctx, pprof.Labels("task", p.c.name), func(ctx context.Context) {
		for {
			p.mu.Lock()
			if p.head == len(p.queue) {
				// Reset rather than grow forever; exit so an idle pool holds
				// no goroutine.
				p.queue, p.head = p.queue[:0], 0
				p.free = append(p.free, w)
				p.mu.Unlock()
				return
			}
			run := p.queue[p.head]
			p.queue[p.head] = nil
			p.head++
			p.mu.Unlock()
			run(ctx, w)
		}
	})
}

func (p *Pool) fail(err error, pe *PanicError) {
	p.mu.Lock()
	if pe != nil && p.panic == nil {
		p.panic = pe
	}
	if err != nil && p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
	p.cancel()
}

// Wait waits for every submitted task, ends the pool (later submissions
// fail with ErrPoolClosed, the observer gets End) and returns the first
// error: a task's, or the context's error when tasks were skipped because
// ctx was cancelled. If a task panicked, Wait panics with its *PanicError.
func (p *Pool) Wait() error {
	p.pending.Wait()
	p.mu.Lock()
	wasClosed := p.closed
	p.closed = true
	err, pe := p.err, p.panic
	p.mu.Unlock()
	if !wasClosed {
		p.cancel()
		if p.task != nil {
			p.task.End()
		}
		if p.c.obs != nil {
			p.c.obs.End()
		}
	}
	if pe != nil {
		panic(pe)
	}
	return err
}

// AsCompleted yields the futures in the order they complete, like Dask's
// as_completed: a loop over it handles each result as soon as it exists
// rather than waiting for the slowest. The futures' Wait does not block
// inside the loop. Breaking out of the loop early is fine.
//
//	for f := range par.AsCompleted(futures...) {
//		v, err := f.Wait()
//		...
//	}
func AsCompleted[R any](futures ...*Future[R]) iter.Seq[*Future[R]] {
	return func(yield func(*Future[R]) bool) {
		// Buffered for all of them, so that completions after an early
		// break never block a worker.
		ch := make(chan *Future[R], len(futures))
		for _, f := range futures {
			f.mu.Lock()
			if f.isDone {
				f.mu.Unlock()
				ch <- f
				continue
			}
			f.notify = append(f.notify, ch)
			f.mu.Unlock()
		}
		for range futures {
			if !yield(<-ch) {
				return
			}
		}
	}
}
