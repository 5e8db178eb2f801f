package par

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"time"

	"github.com/gospeedup/speedup/diag"
)

// ErrPoolClosed is the error of a future submitted to a Pool after its Wait.
var ErrPoolClosed = errors.New("par: pool closed")

// ErrWaitInTask is returned by Pool.Wait called from one of the pool's own
// tasks, which would wait for itself for ever.
var ErrWaitInTask = errors.New("par: Pool.Wait called from a task of the same pool (it would wait for itself; wait for the futures instead)")

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
// A task may Submit children and wait for them (Future.Wait, AsCompleted),
// as in a recursive divide and conquer: a worker whose task waits runs the
// pool's queued tasks meanwhile (on its own goroutine, so that no more than
// Workers tasks ever run at once), so the pool never deadlocks with all its
// workers waiting for tasks that nobody runs. A task calling the pool's own
// Wait would wait for itself: Wait returns ErrWaitInTask instead (except
// with Workers(1), whose inline tasks cannot be told from a concurrent
// caller without a cost on every Submit).
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

	// The pool's running worker goroutines, by goroutine id, so that a
	// task waiting for a future can be recognised and help (see help).
	workerG map[int64]workerRef
	waiters int           // workers blocked in help
	queued  chan struct{} // closed (and replaced) when a task is queued while waiters > 0
}

// workerRef is a running worker: its index and its context (with its pprof
// labels), to run the tasks it helps with as its own.
type workerRef struct {
	w   int
	ctx context.Context
}

// NewPool returns a Pool whose tasks get a context derived from ctx.
// Options: Workers (default GOMAXPROCS), Observe, Name (the tasks' name,
// default "pool"); ChunkSize is ignored.
func NewPool(ctx context.Context, opts ...Option) *Pool {
	p := &Pool{c: newConfig("pool", opts), workerG: map[int64]workerRef{}, queued: make(chan struct{})}
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
	pool  *Pool // nil for a future that never ran
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
// Called from a task of the same pool, Wait runs queued tasks until f is
// done, so that waiting tasks cannot starve the pool.
func (f *Future[R]) Wait() (R, error) {
	select {
	case <-f.done:
	default:
		if f.pool == nil || !f.pool.help(
			func() bool { return isClosed(f.done) },
			func(queued <-chan struct{}) {
				select {
				case <-f.done:
				case <-queued:
				}
			}) {
			<-f.done
		}
	}
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
	f := &Future[R]{pool: p, done: make(chan struct{})}
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
	if p.waiters > 0 {
		// Wake the workers waiting in help: there is work for them.
		close(p.queued)
		p.queued = make(chan struct{})
	}
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
		g := goid()
		p.mu.Lock()
		p.workerG[g] = workerRef{w, ctx}
		p.mu.Unlock()
		for {
			p.mu.Lock()
			if p.head == len(p.queue) {
				// Reset rather than grow forever; exit so an idle pool holds
				// no goroutine.
				p.queue, p.head = p.queue[:0], 0
				p.free = append(p.free, w)
				delete(p.workerG, g)
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

// help is how a task waits without starving the pool: if the calling
// goroutine is one of p's workers, it runs p's queued tasks until done
// returns true, blocking in wait (which must also return when queued is
// closed) only when the queue is empty, and returns true. Called from any
// other goroutine it does nothing and returns false: running tasks there
// would exceed the pool's number of workers.
func (p *Pool) help(done func() bool, wait func(queued <-chan struct{})) bool {
	g := goid()
	p.mu.Lock()
	me, ok := p.workerG[g]
	if !ok {
		p.mu.Unlock()
		return false
	}
	for !done() {
		if p.head < len(p.queue) {
			run := p.queue[p.head]
			p.queue[p.head] = nil
			p.head++
			p.mu.Unlock()
			run(me.ctx, me.w)
			p.mu.Lock()
			continue
		}
		queued := p.queued
		p.waiters++
		p.mu.Unlock()
		wait(queued)
		p.mu.Lock()
		p.waiters--
	}
	p.mu.Unlock()
	return true
}

// goid returns the calling goroutine's id, from the first line of its
// stack ("goroutine 18 [running]:"). It costs one to two microseconds,
// paid once per worker goroutine and once per Wait that would block, never
// per task.
func goid() int64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = b[len("goroutine "):]
	var id int64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + int64(c-'0')
	}
	return id
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
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
//
// Called from one of the pool's own tasks, Wait returns ErrWaitInTask at
// once: it would wait for the task calling it.
func (p *Pool) Wait() error {
	p.mu.Lock()
	_, inTask := p.workerG[goid()]
	p.mu.Unlock()
	if inTask {
		return ErrWaitInTask
	}
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
			if !yield(receive(ch, futures)) {
				return
			}
		}
	}
}

// receive takes the next completed future from ch. Called from a task of
// the futures' pool, it runs queued tasks meanwhile (see Pool.help), since
// the futures may be waiting for this very worker.
func receive[R any](ch chan *Future[R], futures []*Future[R]) *Future[R] {
	select {
	case f := <-ch:
		return f
	default:
	}
	var got *Future[R]
	tried := map[*Pool]bool{}
	for _, f := range futures {
		if f.pool == nil || tried[f.pool] || isClosed(f.done) {
			continue
		}
		tried[f.pool] = true
		if f.pool.help(
			func() bool {
				if got == nil {
					select {
					case got = <-ch:
					default:
					}
				}
				return got != nil
			},
			func(queued <-chan struct{}) {
				select {
				case got = <-ch:
				case <-queued:
				}
			}) {
			return got
		}
	}
	return <-ch
}
