// Package lazy builds task graphs from plain Go functions and computes them
// in parallel, like dask.delayed: calls build the graph, Compute runs it.
//
//	inc := func(x int) int { time.Sleep(time.Second); return x + 1 }
//	add := func(x, y int) int { time.Sleep(time.Second); return x + y }
//	x := lazy.Call1(inc, lazy.Value(1))
//	y := lazy.Call1(inc, lazy.Value(2))
//	z := lazy.Call2(add, x, y)
//	v, err := lazy.Compute(ctx, z) // 5, in 2 s: x and y run at once
//
// A Node[T] is a value of type T to be computed: a constant (Value) or a
// call of a function on other nodes (Call1, Call2, Call3, CallN, and the E
// variants whose functions take a context and return an error). Building a
// graph runs nothing. Compute (one node) and ComputeAll (several, of any
// types) run the graph on a pool of workers.
//
// # Scheduling
//
// Compute walks the graph once, iteratively (no recursion, so a chain of a
// million nodes cannot overflow a stack), numbers its nodes, and counts for
// each call how many inputs it still waits for. Calls whose inputs are all
// ready go on a ready stack; a fixed set of workers (Workers, default
// GOMAXPROCS; the caller's goroutine is one of them) pop from it. A worker
// never waits for a dependency: a call only becomes ready when its inputs
// are computed, so the number of goroutines is the number of workers, however
// deep or wide the graph. The stack is last-in-first-out, and a worker that
// completes a call takes the call it made ready first: chains are finished
// before new ones are started, which keeps few intermediate results alive
// (Dask's policy). An intermediate result is dropped as soon as all its
// consumers have run. A node shared by several consumers is computed once
// per Compute.
//
// Workers(1) runs everything in the caller's goroutine, one call at a time
// (Dask's synchronous scheduler): deterministic, easy to debug and profile.
//
// # No caching
//
// Nodes do not cache their results, as in Dask: every Compute recomputes
// every call it needs, and nothing leaks from one Compute to the next
// (results of a Compute live in that Compute, so concurrent Computes over
// shared nodes are safe). To reuse a result, compute it and wrap it in a
// Value, or compute several nodes at once with ComputeAll.
//
// # Errors and panics
//
// The first call that fails stops the graph: no new call starts, the
// context given to running E calls is cancelled, the calls that depend on
// the failed one are skipped, and Compute returns an *Error that names the
// node (lazy: node "inc#2": ...). A panic in a call is recovered and raised
// again in the caller's goroutine as a *par.PanicError carrying the call's
// stack. Cancelling ctx stops the graph the same way and returns ctx.Err().
//
// # Names
//
// A call node's name is the one given by Named, or its function's name
// without package path, followed by # and the node's id (like Dask's
// "inc-<token>"): "inc#2". Anonymous functions get names like "main.func1";
// name them with Named for readable graphs, errors and timelines.
//
// # Diagnostics
//
// Observe(o) reports every call to a diag.Observer (value nodes are not
// tasks); without an observer nothing is timed. When runtime/trace is on,
// each Compute is a trace task and each call a region named after the node.
// Each call also runs under the pprof label task=<node name>, so that
// pprof shows which node did what; Labels(false) turns that off.
package lazy

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Any is a node of any type: every *Node[T] implements it. It lets
// ComputeAll and WriteDOT take nodes of different types.
type Any interface {
	lazyNode() *node
}

// A Node is a value of type T in a task graph: a constant made by Value or
// the result of a call made by Call1, Call2, Call3, CallN or their E
// variants. Nodes are immutable once built (except for Named, to be called
// before the node is used) and may be shared by any number of graphs and
// concurrent Computes.
type Node[T any] struct {
	n node
}

func (n *Node[T]) lazyNode() *node { return &n.n }

// Named gives the node a name, used instead of the function's name by
// WriteDOT, observers, traces and errors, and returns the node. Call it when
// building the graph, not while a Compute uses the node.
//
//	data := lazy.Call1(load, lazy.Value("x.csv")).Named("load")
func (n *Node[T]) Named(name string) *Node[T] {
	n.n.name = name
	return n
}

// Name returns the node's name: the one given by Named, else the function's
// name and the node's id ("inc#2"), or "value#<id>" for a Value.
func (n *Node[T]) Name() string { return n.n.fullName() }

// String returns the node's name, for %v.
func (n *Node[T]) String() string { return n.n.fullName() }

// node is the untyped part of a Node, all the scheduler sees.
type node struct {
	id   int64
	name string  // from Named
	pc   uintptr // the function of a call, for its default name
	deps []*node
	// call computes the node from its inputs' values (in deps order); nil
	// for a Value.
	call func(ctx context.Context, args []any) (any, error)
	// value is a Value's constant.
	value any
	// usesCtx is set for E calls: their context carries the task name.
	usesCtx bool
	named   atomic.Pointer[string] // fullName, computed once

	// mark and idx number the node in the graph being built; guarded by
	// buildMu (see build).
	mark uint64
	idx  int32
}

var lastID atomic.Int64

func (n *node) fullName() string {
	if n.name != "" {
		return n.name
	}
	if s := n.named.Load(); s != nil {
		return *s
	}
	s := n.shortName() + "#" + strconv.FormatInt(n.id, 10)
	n.named.Store(&s)
	return s
}

// shortName is the name without the id: the given name, or the function's
// cleaned-up name, or "value".
func (n *node) shortName() string {
	switch {
	case n.name != "":
		return n.name
	case n.call == nil:
		return "value"
	}
	return funcName(n.pc)
}

var funcNames sync.Map // pc -> cleaned name; FuncForPC is not free

// funcName returns the name of the function at pc without its package path,
// type parameters or method-value suffix: "inc", "main.func1", "T.M".
func funcName(pc uintptr) string {
	if s, ok := funcNames.Load(pc); ok {
		return s.(string)
	}
	name := "func"
	if f := runtime.FuncForPC(pc); f != nil {
		name = cleanFuncName(f.Name())
	}
	funcNames.Store(pc, name)
	return name
}

func cleanFuncName(s string) string {
	// Drop type arguments first: they may contain slashes and dots.
	for {
		i := strings.IndexByte(s, '[')
		if i < 0 {
			break
		}
		depth, j := 0, i
		for ; j < len(s); j++ {
			if s[j] == '[' {
				depth++
			} else if s[j] == ']' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if j == len(s) {
			s = s[:i]
			break
		}
		s = s[:i] + s[j+1:]
	}
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, '.'); i >= 0 && i < len(s)-1 {
		s = s[i+1:] // the package name
	}
	s = strings.TrimSuffix(s, "-fm") // method values
	s = strings.NewReplacer("(*", "", "(", "", ")", "").Replace(s)
	if s == "" {
		return "func"
	}
	return s
}

func funcPC(f any, what string) uintptr {
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Func || v.IsNil() {
		panic("lazy: " + what + " with a nil function")
	}
	return v.Pointer()
}

func newNode[R any](pc uintptr, what string, deps ...Any) *Node[R] {
	n := &Node[R]{}
	n.n.id = lastID.Add(1)
	n.n.pc = pc
	n.n.deps = make([]*node, len(deps))
	for i, d := range deps {
		if d == nil {
			panic(fmt.Sprintf("lazy: %s: input %d is nil", what, i))
		}
		dn := d.lazyNode()
		if dn == nil {
			panic(fmt.Sprintf("lazy: %s: input %d is nil", what, i))
		}
		n.n.deps[i] = dn
	}
	return n
}

// arg converts an input value back to its type; a nil interface value stays
// the zero T instead of panicking.
func arg[T any](v any) T {
	t, _ := v.(T)
	return t
}

// Value returns a node holding v, an input of the graph. It is not a task:
// it costs nothing to compute and observers do not see it.
//
//	x := lazy.Value(1)
func Value[T any](v T) *Node[T] {
	n := &Node[T]{}
	n.n.id = lastID.Add(1)
	n.n.value = v
	return n
}

// Call1 returns a node computing f(a).
//
//	x := lazy.Call1(inc, lazy.Value(1))
func Call1[A, R any](f func(A) R, a *Node[A]) *Node[R] {
	n := newNode[R](funcPC(f, "Call1"), "Call1", a)
	n.n.call = func(_ context.Context, in []any) (any, error) {
		return f(arg[A](in[0])), nil
	}
	return n
}

// Call2 returns a node computing f(a, b).
//
//	z := lazy.Call2(add, x, y)
func Call2[A, B, R any](f func(A, B) R, a *Node[A], b *Node[B]) *Node[R] {
	n := newNode[R](funcPC(f, "Call2"), "Call2", a, b)
	n.n.call = func(_ context.Context, in []any) (any, error) {
		return f(arg[A](in[0]), arg[B](in[1])), nil
	}
	return n
}

// Call3 returns a node computing f(a, b, c).
//
//	w := lazy.Call3(clamp, x, lo, hi)
func Call3[A, B, C, R any](f func(A, B, C) R, a *Node[A], b *Node[B], c *Node[C]) *Node[R] {
	n := newNode[R](funcPC(f, "Call3"), "Call3", a, b, c)
	n.n.call = func(_ context.Context, in []any) (any, error) {
		return f(arg[A](in[0]), arg[B](in[1]), arg[C](in[2])), nil
	}
	return n
}

// CallN returns a node computing f of the values of all xs, in order: a
// reduction over many nodes of one type.
//
//	total := lazy.CallN(sum, parts...)
func CallN[T, R any](f func([]T) R, xs ...*Node[T]) *Node[R] {
	n := newNode[R](funcPC(f, "CallN"), "CallN", anys(xs)...)
	n.n.call = func(_ context.Context, in []any) (any, error) {
		return f(args[T](in)), nil
	}
	return n
}

func anys[T any](xs []*Node[T]) []Any {
	a := make([]Any, len(xs))
	for i, x := range xs {
		if x == nil {
			panic(fmt.Sprintf("lazy: CallN: input %d is nil", i))
		}
		a[i] = x
	}
	return a
}

func args[T any](in []any) []T {
	// A fresh slice each call: f may keep it.
	xs := make([]T, len(in))
	for i, v := range in {
		xs[i] = arg[T](v)
	}
	return xs
}

// Call1E returns a node computing f(ctx, a), for functions that can fail or
// be cancelled. The E variants' functions get the Compute's context, which
// is cancelled when another call fails, and carries the node's name
// (diag.TaskName). An error stops the graph and is returned by Compute,
// wrapped in an *Error naming the node.
//
//	data := lazy.Call1E(func(ctx context.Context, path string) ([]byte, error) {
//		return os.ReadFile(path)
//	}, lazy.Value("in.csv")).Named("load")
func Call1E[A, R any](f func(context.Context, A) (R, error), a *Node[A]) *Node[R] {
	n := newNode[R](funcPC(f, "Call1E"), "Call1E", a)
	n.n.usesCtx = true
	n.n.call = func(ctx context.Context, in []any) (any, error) {
		return f(ctx, arg[A](in[0]))
	}
	return n
}

// Call2E is Call2 for a function taking a context and returning an error;
// see Call1E.
func Call2E[A, B, R any](f func(context.Context, A, B) (R, error), a *Node[A], b *Node[B]) *Node[R] {
	n := newNode[R](funcPC(f, "Call2E"), "Call2E", a, b)
	n.n.usesCtx = true
	n.n.call = func(ctx context.Context, in []any) (any, error) {
		return f(ctx, arg[A](in[0]), arg[B](in[1]))
	}
	return n
}

// Call3E is Call3 for a function taking a context and returning an error;
// see Call1E.
func Call3E[A, B, C, R any](f func(context.Context, A, B, C) (R, error), a *Node[A], b *Node[B], c *Node[C]) *Node[R] {
	n := newNode[R](funcPC(f, "Call3E"), "Call3E", a, b, c)
	n.n.usesCtx = true
	n.n.call = func(ctx context.Context, in []any) (any, error) {
		return f(ctx, arg[A](in[0]), arg[B](in[1]), arg[C](in[2]))
	}
	return n
}

// CallNE is CallN for a function taking a context and returning an error;
// see Call1E.
func CallNE[T, R any](f func(context.Context, []T) (R, error), xs ...*Node[T]) *Node[R] {
	n := newNode[R](funcPC(f, "CallNE"), "CallNE", anys(xs)...)
	n.n.usesCtx = true
	n.n.call = func(ctx context.Context, in []any) (any, error) {
		return f(ctx, args[T](in))
	}
	return n
}

// Error is the error of a failed call: Compute returns it for the first
// call that returned an error.
type Error struct {
	// Node is the failed node's name (see Node.Name).
	Node string
	// Err is the error the call returned.
	Err error
}

func (e *Error) Error() string { return fmt.Sprintf("lazy: node %q: %v", e.Node, e.Err) }

// Unwrap returns the call's error, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }
