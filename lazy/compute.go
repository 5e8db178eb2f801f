package lazy

import (
	"context"
	"fmt"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"time"

	"github.com/gospeedup/speedup/diag"
	"github.com/gospeedup/speedup/internal/panicerr"
	"github.com/gospeedup/speedup/par"
)

// An Option configures a Compute: Workers, Observe, Labels.
type Option func(*config)

type config struct {
	workers int
	obs     diag.Observer
	labels  bool
}

// Workers sets the number of workers, the caller's goroutine included.
// n <= 0 means runtime.GOMAXPROCS(0), the default. Workers(1) computes the
// graph in the caller's goroutine, one call at a time, in a deterministic
// order.
func Workers(n int) Option { return func(c *config) { c.workers = n } }

// Observe reports every call of the Compute to o (Begin with the number of
// calls, TaskStart and TaskEnd per call, with the node's id and name, End).
// A nil o reports nothing.
func Observe(o diag.Observer) Option { return func(c *config) { c.obs = o } }

// Labels sets whether each call runs under the pprof label
// task=<node name>, so that a CPU profile can be split by node (pprof
// -tagfocus task=load, pprof -tags). It is on by default: the issue's
// diagnostics ask for labels per task, and they fit the scheduling budget
// of 1 µs per task (measured with go run ./bench/parlazy on 2 CPUs: one
// pprof.Do takes 50-170 ns; 100,000 trivial calls cost about 340-430 ns
// each with labels, 180-340 ns without). Labels(false) saves that cost for
// graphs of very many tiny calls. While runtime/trace is enabled the labels
// are set regardless, since tracing already pays more than that.
func Labels(on bool) Option { return func(c *config) { c.labels = on } }

// graph is the part of the task graph one Compute needs, in topological
// order (inputs before the calls that use them), with edges stored as
// compressed index lists: no map and no pointer chasing while scheduling.
type graph struct {
	nodes  []*node
	depOff []int32 // inputs of i: depIdx[depOff[i]:depOff[i+1]]
	depIdx []int32
	outOff []int32 // consumers of i: outIdx[outOff[i]:outOff[i+1]]
	outIdx []int32
	calls  int     // number of call nodes (tasks)
	roots  []int32 // indexes of the roots, in the order given
}

var (
	// buildMu guards node.mark and node.idx: numbering the nodes in place
	// is several times faster than a map from node to index, and building
	// is short, so concurrent Computes only serialize on that step.
	buildMu sync.Mutex
	epoch   uint64
)

type frame struct {
	n *node
	i int // next input to visit
}

// build walks the graph from roots depth-first, iteratively, and returns it
// in post-order (a topological order). Graphs are acyclic by construction:
// a node's inputs exist before it.
func build(roots []*node) *graph {
	g := &graph{}
	buildMu.Lock()
	epoch++
	mark := epoch
	var stack []frame
	for _, r := range roots {
		if r.mark == mark {
			continue
		}
		r.mark = mark
		stack = append(stack, frame{n: r})
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.i < len(top.n.deps) {
				d := top.n.deps[top.i]
				top.i++
				if d.mark != mark {
					d.mark = mark
					stack = append(stack, frame{n: d})
				}
				continue
			}
			top.n.idx = int32(len(g.nodes))
			g.nodes = append(g.nodes, top.n)
			stack = stack[:len(stack)-1]
		}
	}
	n := len(g.nodes)
	g.depOff = make([]int32, n+1)
	g.outOff = make([]int32, n+1)
	edges := 0
	for i, nd := range g.nodes {
		edges += len(nd.deps)
		g.depOff[i+1] = int32(edges)
		if nd.call != nil {
			g.calls++
		}
	}
	g.depIdx = make([]int32, edges)
	for i, nd := range g.nodes {
		off := g.depOff[i]
		for k, d := range nd.deps {
			g.depIdx[off+int32(k)] = d.idx
			g.outOff[d.idx+1]++
		}
	}
	g.roots = make([]int32, len(roots))
	for i, r := range roots {
		g.roots[i] = r.idx
	}
	buildMu.Unlock()
	for i := range n {
		g.outOff[i+1] += g.outOff[i]
	}
	g.outIdx = make([]int32, edges)
	fill := make([]int32, n)
	copy(fill, g.outOff[:n])
	for i := range n {
		for _, d := range g.depIdx[g.depOff[i]:g.depOff[i+1]] {
			g.outIdx[fill[d]] = int32(i)
			fill[d]++
		}
	}
	return g
}

func rootsOf(nodes []Any) []*node {
	roots := make([]*node, len(nodes))
	for i, a := range nodes {
		if a == nil || a.lazyNode() == nil {
			panic(fmt.Sprintf("lazy: node %d is nil", i))
		}
		roots[i] = a.lazyNode()
	}
	return roots
}

// exec is one Compute's state. Everything after the graph is guarded by mu,
// except results[i], which is written by the worker that ran i before it
// takes mu to publish the completion, and read by consumers after they were
// made ready under mu.
type exec struct {
	g       *graph
	c       config
	parent  context.Context // the caller's
	ctx     context.Context // parent's child, cancelled at the first error
	cancel  context.CancelFunc
	results []any
	pending []int32 // inputs of each call not computed yet
	refs    []int32 // consumers of each node not run yet
	keep    []bool  // roots: results kept to the end
	traced  bool

	mu      sync.Mutex
	wake    sync.Cond
	ready   []int32 // LIFO stack of calls whose inputs are all computed
	idle    int     // workers waiting on wake
	done    int     // calls completed
	stopped bool
	err     error
	panic   *par.PanicError
}

// Results holds the values computed by ComputeAll; read them with Get.
type Results struct {
	vals map[*node]any
}

// Get returns the value of n computed in r. It panics if n was not one of
// the nodes given to the ComputeAll that returned r.
func Get[T any](r *Results, n *Node[T]) T {
	v, ok := r.vals[&n.n]
	if !ok {
		panic(fmt.Sprintf("lazy: Get: node %q was not computed by this ComputeAll", n.Name()))
	}
	return arg[T](v)
}

// Compute computes n and the part of its graph it needs, and returns its
// value. Nodes shared within the graph are computed once; nothing is cached
// between Computes. See the package documentation for scheduling, errors
// and panics.
//
//	v, err := lazy.Compute(ctx, z, lazy.Workers(4))
func Compute[T any](ctx context.Context, n *Node[T], opts ...Option) (T, error) {
	var zero T
	if n == nil {
		panic("lazy: Compute of a nil node")
	}
	e, err := run(ctx, []*node{&n.n}, opts)
	if err != nil {
		return zero, err
	}
	return arg[T](e.results[e.g.roots[0]]), nil
}

// ComputeAll computes several nodes, of any types, in one graph: nodes they
// share are computed once (computing them one by one would recompute the
// shared parts). Read the values with Get.
//
//	res, err := lazy.ComputeAll(ctx, []lazy.Any{mean, std})
//	m, s := lazy.Get(res, mean), lazy.Get(res, std)
func ComputeAll(ctx context.Context, nodes []Any, opts ...Option) (*Results, error) {
	roots := rootsOf(nodes)
	e, err := run(ctx, roots, opts)
	if err != nil {
		return nil, err
	}
	r := &Results{vals: make(map[*node]any, len(roots))}
	for i, n := range roots {
		r.vals[n] = e.results[e.g.roots[i]]
	}
	return r, nil
}

// run computes the graph of roots with the options opts: the caller is
// worker 0, and the others run in goroutines that are all stopped when run
// returns. A panic in a call is re-panicked here.
func run(ctx context.Context, roots []*node, opts []Option) (*exec, error) {
	c := newConfig(opts)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g := build(roots)
	e := newExec(g, c)
	if g.calls == 0 {
		return e, nil
	}

	parent := ctx
	ctx, e.cancel = context.WithCancel(ctx)
	defer e.cancel()
	if trace.IsEnabled() {
		var task *trace.Task
		ctx, task = trace.NewTask(ctx, "lazy.Compute")
		defer task.End()
		e.traced = true
	}
	e.ctx = ctx
	e.parent = parent
	// Workers also poll ctx.Err (an atomic load) before each call: the
	// AfterFunc goroutine alone may not get a CPU while busy workers run
	// thousands of tiny calls. The AfterFunc wakes idle workers.
	stop := context.AfterFunc(parent, func() {
		e.mu.Lock()
		e.stopLocked(parent.Err(), nil)
		e.mu.Unlock()
	})
	defer stop()

	workers := min(c.workers, g.calls)
	if c.obs != nil {
		c.obs.Begin(g.calls, workers)
		defer c.obs.End()
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { e.worker(w) })
	}
	e.worker(0) // the caller is worker 0: Workers(1) starts no goroutine
	wg.Wait()
	if e.panic != nil {
		panic(e.panic)
	}
	if e.done == g.calls {
		// Complete, even if ctx was cancelled just after the last call.
		return e, nil
	}
	return nil, e.err
}

// newConfig applies opts, skipping nil ones, to the default
// configuration: labels on, GOMAXPROCS workers.
func newConfig(opts []Option) config {
	c := config{labels: true}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.workers <= 0 {
		c.workers = runtime.GOMAXPROCS(0)
	}
	return c
}

// newExec returns the execution state of g before any call: the values of
// the value nodes, each call's count of pending call dependencies, each
// node's count of dependents, the roots kept, and the calls ready at once.
func newExec(g *graph, c config) *exec {
	n := len(g.nodes)
	e := &exec{
		g:       g,
		c:       c,
		results: make([]any, n),
		pending: make([]int32, n),
		refs:    make([]int32, n),
		keep:    make([]bool, n),
	}
	e.wake.L = &e.mu
	for _, r := range g.roots {
		e.keep[r] = true
	}
	for i, nd := range g.nodes {
		e.refs[i] = g.outOff[i+1] - g.outOff[i]
		if nd.call == nil {
			e.results[i] = nd.value
			continue
		}
		for _, d := range g.depIdx[g.depOff[i]:g.depOff[i+1]] {
			if g.nodes[d].call != nil {
				e.pending[i]++
			}
		}
	}
	// Initial ready calls, pushed in reverse so that the first in
	// depth-first order is popped first.
	for i := n - 1; i >= 0; i-- {
		if g.nodes[i].call != nil && e.pending[i] == 0 {
			e.ready = append(e.ready, int32(i))
		}
	}
	return e
}

// stopLocked stops the graph with its first error or panic.
func (e *exec) stopLocked(err error, p *par.PanicError) {
	if p != nil && e.panic == nil {
		e.panic = p
	}
	if !e.stopped {
		e.stopped = true
		if e.err == nil {
			e.err = err
		}
		e.cancel()
		e.wake.Broadcast()
	}
}

func (e *exec) worker(w int) {
	var scratch []any // input values of the current call, reused
	g := e.g
	e.mu.Lock()
	for {
		for len(e.ready) == 0 && !e.stopped && e.done < g.calls {
			e.idle++
			e.wake.Wait()
			e.idle--
		}
		if !e.stopped && e.ctx.Err() != nil {
			e.stopLocked(e.parent.Err(), nil)
		}
		if e.stopped || len(e.ready) == 0 {
			break
		}
		i := e.ready[len(e.ready)-1]
		e.ready = e.ready[:len(e.ready)-1]
		e.mu.Unlock()

		deps := g.depIdx[g.depOff[i]:g.depOff[i+1]]
		scratch = scratch[:0]
		for _, d := range deps {
			scratch = append(scratch, e.results[d])
		}
		v, err, p := e.call(w, g.nodes[i], scratch)
		clear(scratch) // do not keep inputs alive from the scratch buffer

		e.mu.Lock()
		if err != nil || p != nil {
			e.stopLocked(err, p)
			continue // and exit: stopped
		}
		e.results[i] = v
		e.done++
		// Make consumers ready; the last pushed is popped next by this
		// worker (LIFO), so a chain runs on without a hand-off.
		newly := 0
		for _, j := range g.outIdx[g.outOff[i]:g.outOff[i+1]] {
			e.pending[j]--
			if e.pending[j] == 0 {
				e.ready = append(e.ready, j)
				newly++
			}
		}
		// Drop inputs nobody needs any more, as Dask does, so that a long
		// chain holds a few values, not all of them.
		for _, d := range deps {
			e.refs[d]--
			if e.refs[d] == 0 && !e.keep[d] {
				e.results[d] = nil
			}
		}
		if e.done == g.calls {
			e.wake.Broadcast()
		} else {
			for k := 1; k < newly && k <= e.idle; k++ {
				e.wake.Signal()
			}
		}
	}
	e.mu.Unlock()
}

// call runs one node, with its diagnostics, recovering a panic.
//
//lint:ignore ST1008 the panic is a third outcome, after the node's own error
func (e *exec) call(w int, n *node, in []any) (v any, err error, p *par.PanicError) {
	ctx := e.ctx
	slow := e.c.obs != nil || e.traced || e.c.labels || n.usesCtx
	if !slow {
		// The common case, kept to a plain call so that scheduling a
		// trivial task stays well under a microsecond.
		defer func() {
			if r := recover(); r != nil {
				p = par.Recovered(n.fullName(), r)
			}
		}()
		v, err = n.call(ctx, in)
		if err != nil {
			err = &Error{Node: n.fullName(), Err: err}
		}
		return v, err, nil
	}
	name := n.fullName()
	var t diag.Task
	if e.c.obs != nil {
		t = diag.Task{ID: n.id, Name: name, Worker: w, Start: time.Now()}
	}
	defer func() {
		if r := recover(); r != nil {
			p = par.Recovered(name, r)
			err = p
		}
		if e.c.obs != nil {
			t.End = time.Now()
			t.Err = err
			if q := taskEnd(e.c.obs, name, t); q != nil && p == nil {
				p, err = q, q
			}
		}
	}()
	if e.c.obs != nil {
		// After the deferred recover: a panicking observer must not crash
		// the process from a worker goroutine either.
		e.c.obs.TaskStart(t)
	}
	if n.usesCtx {
		ctx = diag.WithTaskName(ctx, name)
	}
	body := func(ctx context.Context) {
		if e.traced {
			defer trace.StartRegion(ctx, name).End()
		}
		v, err = n.call(ctx, in)
	}
	if e.c.labels || e.traced {
		pprof.Do(ctx, pprof.Labels("task", name), body)
	} else {
		body(ctx)
	}
	if err != nil {
		err = &Error{Node: name, Err: err}
	}
	return v, err, nil
}

// taskEnd reports t to o and returns a panic of o.TaskEnd as a
// *par.PanicError (see internal/panicerr).
func taskEnd(o diag.Observer, name string, t diag.Task) *par.PanicError {
	p, _ := panicerr.TaskEnd(o, t, func(v any) *par.PanicError { return par.Recovered(name, v) })
	return p
}
