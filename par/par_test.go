package par_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gospeedup/speedup/diag"
	"github.com/gospeedup/speedup/par"
)

// goid returns the current goroutine's id, parsed from its stack header,
// to check on which goroutine a task ran.
func goid() int {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	id, _ := strconv.Atoi(string(b[:bytes.IndexByte(b, ' ')]))
	return id
}

// TestContract runs the par lines of the contract program of issue 5.
func TestContract(t *testing.T) {
	ctx := context.Background()
	sq, err := par.Map(ctx, []int{1, 2, 3}, func(ctx context.Context, v int) (int, error) { return v * v, nil })
	if err != nil || fmt.Sprint(sq) != "[1 4 9]" {
		t.Fatalf("Map = %v, %v; want [1 4 9]", sq, err)
	}
	var n atomic.Int64
	err = par.For(ctx, 100, func(ctx context.Context, i int) error { n.Add(int64(i)); return nil }, par.Workers(2))
	if err != nil || n.Load() != 4950 {
		t.Fatalf("For: sum %d, err %v; want 4950, nil", n.Load(), err)
	}
}

func TestMapOrderAndSizes(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{0, 1, 7, 100, 1000, 100_003} {
		for _, w := range []int{1, 2, 3, 8} {
			for _, cs := range []int{0, 1, 10, 1 << 20} {
				items := make([]int, n)
				for i := range items {
					items[i] = i
				}
				got, err := par.Map(ctx, items, func(ctx context.Context, v int) (int, error) { return 2 * v, nil },
					par.Workers(w), par.ChunkSize(cs))
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != n {
					t.Fatalf("n=%d w=%d: len %d", n, w, len(got))
				}
				for i, v := range got {
					if v != 2*i {
						t.Fatalf("n=%d w=%d cs=%d: got[%d] = %d", n, w, cs, i, v)
					}
				}
			}
		}
	}
}

func TestWorkersOneInline(t *testing.T) {
	me := goid()
	var order []int
	err := par.For(context.Background(), 50, func(ctx context.Context, i int) error {
		if g := goid(); g != me {
			return fmt.Errorf("task %d ran on goroutine %d, caller is %d", i, g, me)
		}
		order = append(order, i) // no lock: everything is on this goroutine
		return nil
	}, par.Workers(1), par.ChunkSize(3))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range order {
		if v != i {
			t.Fatalf("Workers(1) ran out of order: %v", order)
		}
	}
	p := par.NewPool(context.Background(), par.Workers(1))
	f := par.Submit(p, func(ctx context.Context) (int, error) { return goid(), nil })
	if g, _ := f.Wait(); g != me {
		t.Fatalf("pool Workers(1) ran on goroutine %d, caller is %d", g, me)
	}
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestFirstErrorCancelsRest(t *testing.T) {
	boom := errors.New("boom")
	var ran, sawCancel atomic.Int64
	err := par.For(context.Background(), 10_000, func(ctx context.Context, i int) error {
		ran.Add(1)
		if i == 0 {
			return boom
		}
		// Slow tasks that notice cancellation through ctx.
		select {
		case <-ctx.Done():
			sawCancel.Add(1)
		case <-time.After(time.Millisecond):
		}
		return nil
	}, par.Workers(4), par.ChunkSize(1))
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if ran.Load() > 100 {
		t.Errorf("%d tasks ran after the first error; scheduling did not stop", ran.Load())
	}
	_, err = par.Map(context.Background(), []int{1, 2, 3}, func(ctx context.Context, v int) (int, error) {
		if v == 2 {
			return 0, boom
		}
		return v, nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Map err = %v, want boom", err)
	}
}

func TestCancelStopsScheduling(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int64
	err := par.For(ctx, 1_000_000, func(ctx context.Context, i int) error {
		if ran.Add(1) == 1000 {
			cancel()
		}
		return nil
	}, par.Workers(4))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	// The flag is set by context.AfterFunc's goroutine: a few more items
	// may run, not the whole million.
	if n := ran.Load(); n > 500_000 {
		t.Errorf("%d of 1e6 items ran after cancel", n)
	}
	// An already cancelled context runs nothing.
	ran.Store(0)
	if err := par.For(ctx, 10, func(ctx context.Context, i int) error { ran.Add(1); return nil }); !errors.Is(err, context.Canceled) || ran.Load() != 0 {
		t.Fatalf("cancelled ctx: err %v, ran %d", err, ran.Load())
	}
}

//go:noinline
func explode(i int) int {
	if i == 7 {
		panic(fmt.Sprintf("explode %d", i))
	}
	return i
}

func TestPanicReraisedInCaller(t *testing.T) {
	for _, w := range []int{1, 4} {
		func() {
			me := goid()
			defer func() {
				v := recover()
				if goid() != me {
					t.Errorf("recovered on another goroutine")
				}
				pe, ok := v.(*par.PanicError)
				if !ok {
					t.Fatalf("recovered %T %v, want *par.PanicError", v, v)
				}
				if pe.Value != "explode 7" || pe.Task != "squares" {
					t.Errorf("PanicError = {%q, %v}", pe.Task, pe.Value)
				}
				// The stack is the task's, where it panicked.
				if !strings.Contains(string(pe.Stack), "par_test.explode") {
					t.Errorf("stack does not show the panicking function:\n%s", pe.Stack)
				}
				if !strings.Contains(pe.Error(), "par_test.explode") || !strings.Contains(pe.String(), "explode 7") {
					t.Errorf("Error() lacks the stack: %s", pe.Error())
				}
			}()
			_, _ = par.Map(context.Background(), make([]int, 100), func(ctx context.Context, v int) (int, error) {
				return explode(v + 7), nil
			}, par.Workers(w), par.Name("squares"))
			t.Fatal("Map did not panic")
		}()
	}
}

func TestPanicErrorUnwrap(t *testing.T) {
	defer func() {
		pe := recover().(*par.PanicError)
		var re runtime.Error
		if !errors.As(pe, &re) {
			t.Errorf("PanicError does not unwrap to runtime.Error: %v", pe.Value)
		}
	}()
	var xs []int
	_ = par.For(context.Background(), 4, func(ctx context.Context, i int) error { xs[i] = 1; return nil }, par.Workers(2))
}

func TestMapReduce(t *testing.T) {
	ctx := context.Background()
	xs := make([]int, 100_001)
	for i := range xs {
		xs[i] = i
	}
	sum := func(ctx context.Context, c []int) (int, error) {
		s := 0
		for _, v := range c {
			s += v
		}
		return s, nil
	}
	add := func(a, b int) int { return a + b }
	for _, w := range []int{1, 2, 5} {
		for _, cs := range []int{0, 1000, 7} {
			got, err := par.MapReduce(ctx, xs, sum, add, par.Workers(w), par.ChunkSize(cs))
			if err != nil || got != 100_000*100_001/2 {
				t.Fatalf("w=%d cs=%d: %d, %v", w, cs, got, err)
			}
		}
	}
	// merge need not be commutative: partials are merged in chunk order.
	letters := strings.Split("abcdefghijklmnopqrstuvwxyz", "")
	s, err := par.MapReduce(ctx, letters, func(ctx context.Context, c []string) (string, error) {
		time.Sleep(time.Duration(len(c)) * time.Microsecond)
		return strings.Join(c, ""), nil
	}, func(a, b string) string { return a + b }, par.Workers(4), par.ChunkSize(3))
	if err != nil || s != "abcdefghijklmnopqrstuvwxyz" {
		t.Fatalf("ordered merge = %q, %v", s, err)
	}
	// Empty input: the zero value, mapChunk not called.
	z, err := par.MapReduce(ctx, nil, sum, add)
	if z != 0 || err != nil {
		t.Fatalf("empty = %d, %v", z, err)
	}
	boom := errors.New("boom")
	_, err = par.MapReduce(ctx, xs, func(ctx context.Context, c []int) (int, error) { return 0, boom }, add)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
}

// recorder is a diag.Observer that keeps every event.
type recorder struct {
	mu            sync.Mutex
	tasks, ws     int
	begins, ends  int
	starts, stops []diag.Task
}

func (r *recorder) Begin(tasks, workers int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.begins++
	r.tasks, r.ws = tasks, workers
}
func (r *recorder) TaskStart(t diag.Task) { r.mu.Lock(); r.starts = append(r.starts, t); r.mu.Unlock() }
func (r *recorder) TaskEnd(t diag.Task)   { r.mu.Lock(); r.stops = append(r.stops, t); r.mu.Unlock() }
func (r *recorder) End()                  { r.mu.Lock(); r.ends++; r.mu.Unlock() }

func TestObserver(t *testing.T) {
	rec := &recorder{}
	boom := errors.New("boom")
	err := par.For(context.Background(), 1000, func(ctx context.Context, i int) error {
		if diag.TaskName(ctx) != "rows" {
			return fmt.Errorf("task name in ctx = %q", diag.TaskName(ctx))
		}
		if i == 999 {
			return boom
		}
		return nil
	}, par.Workers(3), par.Observe(rec), par.Name("rows"), par.ChunkSize(10))
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if rec.begins != 1 || rec.ends != 1 || rec.tasks != 100 || rec.ws != 3 {
		t.Fatalf("Begin/End: %+v", rec)
	}
	if len(rec.starts) != len(rec.stops) || len(rec.starts) == 0 {
		t.Fatalf("%d starts, %d ends", len(rec.starts), len(rec.stops))
	}
	var failed int
	for _, e := range rec.stops {
		if e.Name != "rows" || e.Worker < 0 || e.Worker >= 3 || e.End.Before(e.Start) || e.Start.IsZero() {
			t.Errorf("bad task %+v", e)
		}
		if e.Err != nil {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d tasks with an error, want 1", failed)
	}
	// Automatic chunking: about 16 chunks per worker.
	rec = &recorder{}
	_, _ = par.Map(context.Background(), make([]int, 1_000_000), func(ctx context.Context, v int) (int, error) { return v, nil },
		par.Workers(4), par.Observe(rec))
	if rec.tasks != 64 || len(rec.stops) != 64 {
		t.Errorf("1e6 items on 4 workers: %d chunks (%d run), want 64", rec.tasks, len(rec.stops))
	}
}

func TestAsCompletedOrder(t *testing.T) {
	p := par.NewPool(context.Background(), par.Workers(4))
	release := make([]chan struct{}, 4)
	futs := make([]*par.Future[int], 4)
	for i := range futs {
		release[i] = make(chan struct{})
		futs[i] = par.Submit(p, func(ctx context.Context) (int, error) {
			<-release[i]
			return i, nil
		})
	}
	order := []int{2, 0, 3, 1}
	close(release[order[0]])
	k := 0
	for f := range par.AsCompleted(futs...) {
		v, err := f.Wait()
		if err != nil || v != order[k] || f != futs[order[k]] {
			t.Fatalf("completion %d: got %d, want %d", k, v, order[k])
		}
		k++
		if k < len(order) {
			close(release[order[k]])
		}
	}
	if k != 4 {
		t.Fatalf("yielded %d futures", k)
	}
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	// Early break, then more completions: nothing blocks.
	p = par.NewPool(context.Background(), par.Workers(2))
	a := par.Submit(p, func(ctx context.Context) (int, error) { return 1, nil })
	b := par.Submit(p, func(ctx context.Context) (int, error) { time.Sleep(10 * time.Millisecond); return 2, nil })
	for range par.AsCompleted(a, b) {
		break
	}
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := par.Submit(p, func(ctx context.Context) (int, error) { return 0, nil }).Wait(); !errors.Is(err, par.ErrPoolClosed) {
		t.Fatalf("Submit after Wait: %v", err)
	}
}

func TestPoolErrorAndPanic(t *testing.T) {
	boom := errors.New("boom")
	rec := &recorder{}
	p := par.NewPool(context.Background(), par.Workers(2), par.Observe(rec))
	bad := par.Submit(p, func(ctx context.Context) (int, error) { return 0, boom })
	if _, err := bad.Wait(); !errors.Is(err, boom) {
		t.Fatalf("future err = %v", err)
	}
	<-p.Context().Done() // the first error cancels the pool
	late := par.Submit(p, func(ctx context.Context) (int, error) { return 1, nil })
	if _, err := late.Wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("task after the error: %v, want context.Canceled", err)
	}
	if err := p.Wait(); !errors.Is(err, boom) {
		t.Fatalf("pool err = %v", err)
	}
	if rec.begins != 1 || rec.ends != 1 || len(rec.stops) != 1 {
		t.Fatalf("observer: %d begins, %d ends, %d tasks", rec.begins, rec.ends, len(rec.stops))
	}

	p = par.NewPool(context.Background())
	f := par.Submit(p, func(ctx context.Context) (string, error) { panic("pool boom") })
	<-f.Done()
	for _, wait := range []func(){func() { _, _ = f.Wait() }, func() { _ = p.Wait() }} {
		func() {
			defer func() {
				pe, ok := recover().(*par.PanicError)
				if !ok || pe.Value != "pool boom" || len(pe.Stack) == 0 {
					t.Errorf("recovered %v", pe)
				}
			}()
			wait()
			t.Error("no panic")
		}()
	}
}

func TestPoolManyTasks(t *testing.T) {
	p := par.NewPool(context.Background(), par.Workers(3))
	var futs []*par.Future[int]
	for i := range 1000 {
		futs = append(futs, par.Submit(p, func(ctx context.Context) (int, error) { return i * i, nil }))
	}
	sum := 0
	for f := range par.AsCompleted(futs...) {
		v, _ := f.Wait()
		sum += v
	}
	if err := p.Wait(); err != nil || sum != 332833500 {
		t.Fatalf("sum %d, err %v", sum, err)
	}
}

func ExampleMap() {
	sq, err := par.Map(context.Background(), []int{1, 2, 3}, func(ctx context.Context, v int) (int, error) {
		return v * v, nil
	})
	fmt.Println(sq, err)
	// Output: [1 4 9] <nil>
}

func ExampleFor() {
	out := make([]string, 5)
	err := par.For(context.Background(), len(out), func(ctx context.Context, i int) error {
		out[i] = strings.Repeat("*", i) // each task writes its own element: no lock
		return nil
	}, par.Workers(2))
	fmt.Println(out, err)
	// Output: [ * ** *** ****] <nil>
}

func ExampleMapReduce() {
	// Mean of a big slice: each chunk becomes a (count, sum) pair, and the
	// pairs are merged in chunk order.
	xs := make([]float64, 1_000_000)
	for i := range xs {
		xs[i] = float64(i % 10)
	}
	type part struct{ n, sum float64 }
	p, err := par.MapReduce(context.Background(), xs,
		func(ctx context.Context, c []float64) (part, error) {
			s := 0.0
			for _, v := range c {
				s += v
			}
			return part{float64(len(c)), s}, nil
		},
		func(a, b part) part { return part{a.n + b.n, a.sum + b.sum} })
	fmt.Println(p.sum/p.n, err)
	// Output: 4.5 <nil>
}

func ExampleAsCompleted() {
	p := par.NewPool(context.Background(), par.Workers(4))
	var futs []*par.Future[int]
	for i := 1; i <= 10; i++ {
		futs = append(futs, par.Submit(p, func(ctx context.Context) (int, error) {
			time.Sleep(time.Duration(10-i) * time.Millisecond)
			return i * i, nil
		}))
	}
	total := 0
	for f := range par.AsCompleted(futs...) { // fastest first
		v, _ := f.Wait()
		total += v
	}
	fmt.Println(total, p.Wait())
	// Output: 385 <nil>
}

func ExamplePanicError() {
	defer func() {
		pe := recover().(*par.PanicError) // raised again in the caller's goroutine
		fmt.Println(pe.Task, pe.Value)
	}()
	_ = par.For(context.Background(), 10, func(ctx context.Context, i int) error {
		if i == 3 {
			panic("bad row")
		}
		return nil
	}, par.Name("rows"))
	// Output: rows bad row
}

// TestTraced runs the calls with runtime/trace on, where they open a trace
// task per call and a region per chunk.
func TestTraced(t *testing.T) {
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skip("runtime/trace unavailable:", err)
	}
	defer trace.Stop()
	got, err := par.Map(context.Background(), []int{1, 2, 3, 4}, func(ctx context.Context, v int) (int, error) { return -v, nil }, par.Workers(2))
	if err != nil || fmt.Sprint(got) != "[-1 -2 -3 -4]" {
		t.Fatal(got, err)
	}
	p := par.NewPool(context.Background(), par.Name("traced"))
	f := par.Submit(p, func(ctx context.Context) (string, error) { return diag.TaskName(ctx), nil })
	if name, _ := f.Wait(); name != "traced" {
		t.Errorf("pool task name %q", name)
	}
	if err := p.Wait(); err != nil {
		t.Fatal(err)
	}
}

// TestCrashReport checks what an unrecovered task panic looks like: the
// process dies from the caller's goroutine, and the report shows the task's
// own stack (where it panicked), not only the caller's.
func TestCrashReport(t *testing.T) {
	if os.Getenv("PAR_CRASH") == "1" {
		_ = par.For(context.Background(), 100, func(ctx context.Context, i int) error {
			explode(i)
			return nil
		}, par.Workers(4))
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashReport$")
	cmd.Env = append(os.Environ(), "PAR_CRASH=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the panic did not crash the child:\n%s", out)
	}
	s := string(out)
	for _, want := range []string{`panic in task "for": explode 7`, "task stack:", "par_test.explode(", "par_test.TestCrashReport("} {
		if !strings.Contains(s, want) {
			t.Errorf("crash report lacks %q:\n%s", want, s)
		}
	}
}

// panicky is an Observer whose TaskStart or TaskEnd panics.
type panicky struct{ inStart bool }

func (panicky) Begin(int, int) {}
func (o panicky) TaskStart(diag.Task) {
	if o.inStart {
		panic("observer start")
	}
}
func (o panicky) TaskEnd(diag.Task) {
	if !o.inStart {
		panic("observer end")
	}
}
func (panicky) End() {}

// TestObserverPanic checks that a panicking observer, in TaskStart or in
// TaskEnd (which runs after the task's own recover), is raised again in the
// caller's goroutine as a *PanicError rather than crashing the process from
// a worker goroutine.
func TestObserverPanic(t *testing.T) {
	ctx := context.Background()
	for _, inStart := range []bool{true, false} {
		want := "observer end"
		if inStart {
			want = "observer start"
		}
		calls := map[string]func(){
			"For": func() {
				_ = par.For(ctx, 100, func(ctx context.Context, i int) error { return nil },
					par.Workers(4), par.ChunkSize(1), par.Observe(panicky{inStart}))
			},
			"Pool": func() {
				p := par.NewPool(ctx, par.Workers(4), par.Observe(panicky{inStart}))
				for range 20 {
					par.Submit(p, func(ctx context.Context) (int, error) { return 1, nil })
				}
				_ = p.Wait()
			},
		}
		for name, call := range calls {
			func() {
				me := goid()
				defer func() {
					pe, ok := recover().(*par.PanicError)
					if !ok || pe.Value != want || goid() != me {
						t.Errorf("%s: recovered %v on goroutine %d, want a *PanicError %q on %d", name, pe, goid(), want, me)
					}
				}()
				call()
				t.Errorf("%s: no panic", name)
			}()
		}
	}
}

// TestPoolWaitAfterCancel checks that Wait does not report success when
// tasks were skipped because the pool's context was cancelled.
func TestPoolWaitAfterCancel(t *testing.T) {
	for _, w := range []int{1, 2} {
		ctx, cancel := context.WithCancel(context.Background())
		p := par.NewPool(ctx, par.Workers(w))
		ran := par.Submit(p, func(ctx context.Context) (int, error) { return 1, nil })
		if v, err := ran.Wait(); v != 1 || err != nil {
			t.Fatalf("Workers(%d): first task: %v, %v", w, v, err)
		}
		cancel()
		skipped := par.Submit(p, func(ctx context.Context) (int, error) { return 2, nil })
		if _, err := skipped.Wait(); !errors.Is(err, context.Canceled) {
			t.Errorf("Workers(%d): task after cancel: %v, want context.Canceled", w, err)
		}
		if err := p.Wait(); !errors.Is(err, context.Canceled) {
			t.Errorf("Workers(%d): Wait = %v after a task was skipped, want context.Canceled", w, err)
		}
	}
}

// fibTask computes fib(n) by submitting fib(n-1) and fib(n-2) to the same
// pool and waiting for both: with every worker waiting for its children,
// the pool used to deadlock.
func fibTask(p *par.Pool, n int) *par.Future[int] {
	return par.Submit(p, func(ctx context.Context) (int, error) {
		if n < 2 {
			return n, nil
		}
		a, b := fibTask(p, n-1), fibTask(p, n-2)
		x, err := a.Wait()
		if err != nil {
			return 0, err
		}
		y, err := b.Wait()
		return x + y, err
	})
}

// withDeadline fails the test instead of hanging when fn deadlocks.
func withDeadline(t *testing.T, name string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s: deadlock (still waiting after 2 minutes)", name)
	}
}

func TestPoolRecursiveWait(t *testing.T) {
	for _, workers := range []int{1, 2, 3, 8} {
		withDeadline(t, fmt.Sprintf("fib on %d workers", workers), func() {
			// Count the tasks running at once: helping must not exceed the
			// number of workers.
			var running, most atomic.Int64
			p := par.NewPool(context.Background(), par.Workers(workers), par.Observe(nil))
			var fib func(n int) *par.Future[int]
			fib = func(n int) *par.Future[int] {
				return par.Submit(p, func(ctx context.Context) (int, error) {
					enter := func() {
						r := running.Add(1)
						for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
						}
					}
					enter()
					defer running.Add(-1)
					if n < 2 {
						return n, nil
					}
					// A task submitting or waiting does not count as
					// running (with Workers(1) its children run inline).
					running.Add(-1)
					a, b := fib(n-1), fib(n-2)
					x, _ := a.Wait()
					y, _ := b.Wait()
					enter()
					return x + y, nil
				})
			}
			v, err := fib(15).Wait()
			if err != nil || v != 610 {
				t.Errorf("%d workers: fib(15) = %d, %v; want 610", workers, v, err)
			}
			if err := p.Wait(); err != nil {
				t.Error(err)
			}
			if m := most.Load(); m > int64(workers) {
				t.Errorf("%d workers: %d tasks ran at once", workers, m)
			}
		})
	}
	// The unadorned pattern on the smallest parallel pool, and a chain
	// 2000 tasks deep, each waiting for the next.
	for _, workers := range []int{1, 2} {
		withDeadline(t, fmt.Sprintf("deep on %d workers", workers), func() {
			p := par.NewPool(context.Background(), par.Workers(workers))
			if v, err := fibTask(p, 17).Wait(); err != nil || v != 1597 {
				t.Errorf("fib(17) = %d, %v", v, err)
			}
			var chain func(n int) *par.Future[int]
			chain = func(n int) *par.Future[int] {
				return par.Submit(p, func(ctx context.Context) (int, error) {
					if n == 0 {
						return 0, nil
					}
					v, err := chain(n - 1).Wait()
					return v + 1, err
				})
			}
			if v, err := chain(2000).Wait(); err != nil || v != 2000 {
				t.Errorf("chain(2000) = %d, %v", v, err)
			}
			if err := p.Wait(); err != nil {
				t.Error(err)
			}
		})
	}
}

// A task collecting its children with AsCompleted helps too, and a task
// calling its own pool's Wait gets an error instead of waiting for itself.
func TestPoolWaitInTask(t *testing.T) {
	withDeadline(t, "AsCompleted in tasks", func() {
		p := par.NewPool(context.Background(), par.Workers(2))
		var tree func(depth int) *par.Future[int]
		tree = func(depth int) *par.Future[int] {
			return par.Submit(p, func(ctx context.Context) (int, error) {
				if depth == 0 {
					return 1, nil
				}
				kids := []*par.Future[int]{tree(depth - 1), tree(depth - 1), tree(depth - 1)}
				sum := 0
				for f := range par.AsCompleted(kids...) {
					v, _ := f.Wait()
					sum += v
				}
				return sum, nil
			})
		}
		if v, err := tree(6).Wait(); err != nil || v != 729 {
			t.Errorf("tree(6) = %d, %v; want 729", v, err)
		}
		p.Wait()
	})
	withDeadline(t, "Pool.Wait in a task", func() {
		p := par.NewPool(context.Background(), par.Workers(2))
		f := par.Submit(p, func(ctx context.Context) (int, error) { return 0, p.Wait() })
		if _, err := f.Wait(); !errors.Is(err, par.ErrWaitInTask) {
			t.Errorf("Pool.Wait in a task: %v", err)
		}
		if err := p.Wait(); !errors.Is(err, par.ErrWaitInTask) {
			t.Errorf("Pool.Wait after: %v, want the task's error", err)
		}
	})
}
