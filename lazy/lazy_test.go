package lazy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gospeedup/speedup/diag"
	"github.com/gospeedup/speedup/internal/golden"
	"github.com/gospeedup/speedup/lazy"
	"github.com/gospeedup/speedup/par"
)

func goid() int {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	id, _ := strconv.Atoi(string(b[:bytes.IndexByte(b, ' ')]))
	return id
}

// TestContract is the contract program of issue 5 with a short delay and
// counters, checking the parallel timing (generously) and sharing.
func TestContract(t *testing.T) {
	ctx := context.Background()
	d := 50 * time.Millisecond
	var incs, adds atomic.Int64
	inc := func(x int) int { incs.Add(1); time.Sleep(d); return x + 1 }
	add := func(x, y int) int { adds.Add(1); time.Sleep(d); return x + y }
	x := lazy.Call1(inc, lazy.Value(1))
	y := lazy.Call1(inc, lazy.Value(2))
	z := lazy.Call2(add, x, y)
	// The best of a few runs, after a GC: a loaded machine (or the garbage
	// of earlier tests under -race) can delay one run, not the graph's shape.
	best := time.Hour
	for range 3 {
		runtime.GC()
		start := time.Now()
		v, err := lazy.Compute(ctx, z)
		best = min(best, time.Since(start))
		if v != 5 || err != nil {
			t.Fatalf("Compute(z) = %d, %v; want 5, nil", v, err)
		}
		if best < 5*d/2 {
			break
		}
	}
	if runtime.GOMAXPROCS(0) >= 2 && best >= 5*d/2 {
		t.Errorf("Compute(z) took %v at best; the two incs should overlap (2d = %v, serial 3d = %v)", best, 2*d, 3*d)
	}
	var dot bytes.Buffer
	if err := lazy.WriteDOT(&dot, z); err != nil || !strings.Contains(dot.String(), "digraph") {
		t.Fatalf("WriteDOT: %v\n%s", err, dot.String())
	}
	parts := []*lazy.Node[int]{x, y, z}
	total := lazy.CallN(func(xs []int) int {
		s := 0
		for _, v := range xs {
			s += v
		}
		return s
	}, parts...)
	incs.Store(0)
	adds.Store(0)
	tt, err := lazy.Compute(ctx, total, lazy.Workers(4))
	if tt != 10 || err != nil {
		t.Fatalf("Compute(total) = %d, %v; want 10, nil", tt, err)
	}
	if incs.Load() != 2 || adds.Load() != 1 {
		t.Errorf("inc ran %d times, add %d; want 2 and 1 (shared nodes once)", incs.Load(), adds.Load())
	}
}

func inc(x int) int    { return x + 1 }
func add(x, y int) int { return x + y }
func sum(xs []int) int {
	s := 0
	for _, v := range xs {
		s += v
	}
	return s
}

func TestGoldenDOT(t *testing.T) {
	x := lazy.Call1(inc, lazy.Value(1))
	y := lazy.Call1(inc, lazy.Value(2))
	z := lazy.Call2(add, x, y)
	big := lazy.Value(strings.Repeat("ab", 40))
	q := lazy.Value(`say "hi"`).Named("quote")
	w := lazy.Call3(func(a int, s, u string) int { return a + len(s) + len(u) }, z, big, q).Named("combine")
	total := lazy.CallN(sum, x, y, z, w, lazy.Call2(add, z, z))
	var got bytes.Buffer
	if err := lazy.WriteDOT(&got, total, z); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "graph.dot"), got.Bytes())
	// Deterministic: the same graph writes the same bytes again.
	var again bytes.Buffer
	_ = lazy.WriteDOT(&again, total, z)
	if !bytes.Equal(got.Bytes(), again.Bytes()) {
		t.Error("WriteDOT is not deterministic")
	}

	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz dot not installed; skipping the render check (apt-get install graphviz)")
	}
	cmd := exec.Command(dot, "-Tsvg")
	cmd.Stdin = bytes.NewReader(got.Bytes())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	svg, err := cmd.Output()
	if err != nil || stderr.Len() > 0 || !bytes.Contains(svg, []byte("<svg")) {
		t.Fatalf("dot -Tsvg: %v\n%s", err, stderr.String())
	}
	for _, label := range []string{">inc<", ">add<", ">combine<", ">sum<", ">quote<"} {
		if !bytes.Contains(svg, []byte(label)) {
			t.Errorf("rendered SVG lacks label %s", label)
		}
	}
}

func TestNames(t *testing.T) {
	x := lazy.Call1(inc, lazy.Value(1))
	if !strings.HasPrefix(x.Name(), "inc#") {
		t.Errorf("Name = %q, want inc#<id>", x.Name())
	}
	if v := lazy.Value(3); !strings.HasPrefix(v.Name(), "value#") {
		t.Errorf("Value name = %q", v.Name())
	}
	if n := lazy.Call1(strings.ToUpper, lazy.Value("a")).Named("upper"); n.Name() != "upper" || fmt.Sprint(n) != "upper" {
		t.Errorf("Named: %q", n.Name())
	}
	if n := lazy.CallN(sum, x); !strings.HasPrefix(n.Name(), "sum#") {
		t.Errorf("CallN name = %q", n.Name())
	}
	r := strings.NewReplacer("a", "b")
	if n := lazy.Call1(r.Replace, lazy.Value("a")); !strings.HasPrefix(n.Name(), "Replacer.Replace#") {
		t.Errorf("method value name = %q", n.Name())
	}
}

func TestErrorNamesNodeAndSkipsDependents(t *testing.T) {
	boom := errors.New("boom")
	var after atomic.Int64
	fail := lazy.Call1E(func(ctx context.Context, x int) (int, error) { return 0, boom }, lazy.Value(1)).Named("fail")
	dep := lazy.Call1(func(x int) int { after.Add(1); return x }, fail)
	top := lazy.Call2(add, dep, lazy.Call1(inc, lazy.Value(0)))
	for _, w := range []int{1, 3} {
		_, err := lazy.Compute(context.Background(), top, lazy.Workers(w))
		var le *lazy.Error
		if !errors.As(err, &le) || le.Node != "fail" || !errors.Is(err, boom) {
			t.Fatalf("err = %v, want *lazy.Error for node fail wrapping boom", err)
		}
		if err.Error() != `lazy: node "fail": boom` {
			t.Errorf("message %q", err.Error())
		}
		if after.Load() != 0 {
			t.Errorf("a dependent of the failed node ran")
		}
	}
	// Default names in errors: function name and id.
	f := func(x int) (int, error) { return 0, boom }
	n := lazy.Call1E(func(ctx context.Context, x int) (int, error) { return f(x) }, lazy.Value(1))
	_, err := lazy.Compute(context.Background(), n)
	if want := fmt.Sprintf("lazy: node %q: boom", n.Name()); err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestErrorCancelsRunningCalls(t *testing.T) {
	boom := errors.New("boom")
	started := make(chan struct{})
	var sawCancel atomic.Bool
	slow := lazy.Call1E(func(ctx context.Context, x int) (int, error) {
		close(started)
		select {
		case <-ctx.Done():
			sawCancel.Store(true)
			return 0, ctx.Err()
		case <-time.After(10 * time.Second):
			return x, nil
		}
	}, lazy.Value(1)).Named("slow")
	fail := lazy.Call1E(func(ctx context.Context, x int) (int, error) {
		<-started
		return 0, boom
	}, lazy.Value(2)).Named("fail")
	_, err := lazy.Compute(context.Background(), lazy.Call2(add, slow, fail), lazy.Workers(2))
	if !errors.Is(err, boom) || !sawCancel.Load() {
		t.Fatalf("err = %v, running call saw cancel: %v", err, sawCancel.Load())
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int64
	step := func(x int) int {
		if ran.Add(1) == 100 {
			cancel()
		}
		return x + 1
	}
	n := lazy.Value(0)
	for range 100_000 {
		n = lazy.Call1(step, n)
	}
	_, err := lazy.Compute(ctx, n, lazy.Workers(2))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if ran.Load() > 50_000 {
		t.Errorf("%d calls ran after cancel", ran.Load())
	}
	if _, err := lazy.Compute(ctx, n); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
}

//go:noinline
func crash(x int) int {
	if x == 3 {
		panic("crash " + strconv.Itoa(x))
	}
	return x
}

func TestPanicReraised(t *testing.T) {
	for _, w := range []int{1, 4} {
		func() {
			me := goid()
			c := lazy.Call1(crash, lazy.Value(3))
			defer func() {
				if goid() != me {
					t.Error("recovered on another goroutine")
				}
				pe, ok := recover().(*par.PanicError)
				if !ok || pe.Value != "crash 3" || pe.Task != c.Name() {
					t.Fatalf("recovered %#v", pe)
				}
				if !strings.Contains(string(pe.Stack), "lazy_test.crash") {
					t.Errorf("stack lacks the panicking function:\n%s", pe.Stack)
				}
			}()
			_, _ = lazy.Compute(context.Background(), lazy.Call2(add, c, lazy.Call1(inc, lazy.Value(1))), lazy.Workers(w))
			t.Fatal("no panic")
		}()
	}
}

func TestWorkersOneInlineAndLIFO(t *testing.T) {
	me := goid()
	var order []string
	step := func(name string) func(int) int {
		return func(x int) int {
			if goid() != me {
				t.Errorf("%s ran on goroutine %d, caller %d", name, goid(), me)
			}
			order = append(order, name)
			return x + 1
		}
	}
	a := lazy.Call1(step("a1"), lazy.Value(0))
	a = lazy.Call1(step("a2"), a)
	a = lazy.Call1(step("a3"), a)
	b := lazy.Call1(step("b1"), lazy.Value(0))
	b = lazy.Call1(step("b2"), b)
	b = lazy.Call1(step("b3"), b)
	res, err := lazy.ComputeAll(context.Background(), []lazy.Any{a, b}, lazy.Workers(1))
	if err != nil || lazy.Get(res, a) != 3 || lazy.Get(res, b) != 3 {
		t.Fatal(err)
	}
	// LIFO: a chain runs to its end before the next starts.
	if got := strings.Join(order, " "); got != "a1 a2 a3 b1 b2 b3" {
		t.Errorf("order %s, want chains depth first", got)
	}
}

func TestRecomputeNoCache(t *testing.T) {
	var calls atomic.Int64
	x := lazy.Call1(func(v int) int { calls.Add(1); return v * 2 }, lazy.Value(21))
	for i := 1; i <= 3; i++ {
		v, err := lazy.Compute(context.Background(), x)
		if v != 42 || err != nil || calls.Load() != int64(i) {
			t.Fatalf("compute %d: %d, %v, %d calls", i, v, err, calls.Load())
		}
	}
	// A Value root computes to itself, without tasks.
	if v, err := lazy.Compute(context.Background(), lazy.Value("s")); v != "s" || err != nil {
		t.Fatal(v, err)
	}
}

func TestComputeAllTypes(t *testing.T) {
	xs := lazy.Value([]float64{1, 2, 3, 4})
	n := lazy.Call1(func(v []float64) int { return len(v) }, xs)
	mean := lazy.Call2(func(v []float64, n int) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(n)
	}, xs, n)
	label := lazy.Call2(func(m float64, n int) string { return fmt.Sprintf("%d values, mean %.1f", n, m) }, mean, n)
	res, err := lazy.ComputeAll(context.Background(), []lazy.Any{label, mean, n, xs})
	if err != nil {
		t.Fatal(err)
	}
	if lazy.Get(res, label) != "4 values, mean 2.5" || lazy.Get(res, mean) != 2.5 || lazy.Get(res, n) != 4 || len(lazy.Get(res, xs)) != 4 {
		t.Errorf("results %v %v %v", lazy.Get(res, label), lazy.Get(res, mean), lazy.Get(res, n))
	}
	defer func() {
		if recover() == nil {
			t.Error("Get of a node not computed did not panic")
		}
	}()
	lazy.Get(res, lazy.Value(1))
}

func TestDuplicateInputsAndErrorInterface(t *testing.T) {
	x := lazy.Call1(inc, lazy.Value(1))
	d := lazy.Call2(add, x, x)
	if v, err := lazy.Compute(context.Background(), d, lazy.Workers(3)); v != 4 || err != nil {
		t.Fatal(v, err)
	}
	// A nil interface result flows through as the zero value.
	e := lazy.Call1(func(int) error { return nil }, lazy.Value(0))
	s := lazy.Call1(func(err error) string { return fmt.Sprint(err) }, e)
	if v, err := lazy.Compute(context.Background(), s); v != "<nil>" || err != nil {
		t.Fatal(v, err)
	}
}

func TestDeepChain(t *testing.T) {
	const depth = 100_000
	base := runtime.NumGoroutine()
	var maxG atomic.Int64
	step := func(x int) int {
		if x%1000 == 0 {
			g := int64(runtime.NumGoroutine())
			for {
				m := maxG.Load()
				if g <= m || maxG.CompareAndSwap(m, g) {
					break
				}
			}
		}
		return x + 1
	}
	n := lazy.Value(0)
	for range depth {
		n = lazy.Call1(step, n)
	}
	for _, w := range []int{1, 4} {
		v, err := lazy.Compute(context.Background(), n, lazy.Workers(w))
		if v != depth || err != nil {
			t.Fatalf("chain = %d, %v", v, err)
		}
	}
	if g := maxG.Load(); g > int64(base+4+2) {
		t.Errorf("%d goroutines during a chain computed on 4 workers (base %d)", g, base)
	}
	var dot bytes.Buffer
	if err := lazy.WriteDOT(&dot, n); err != nil || bytes.Count(dot.Bytes(), []byte("->")) != depth {
		t.Fatalf("DOT of a deep chain: %v", err)
	}
}

func TestMillionDeep(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("a million nodes: skipped in -short and -race")
	}
	n := lazy.Value(0)
	for range 1_000_000 {
		n = lazy.Call1(inc, n)
	}
	v, err := lazy.Compute(context.Background(), n, lazy.Workers(2))
	if v != 1_000_000 || err != nil {
		t.Fatal(v, err)
	}
}

func TestWide(t *testing.T) {
	leaves := make([]*lazy.Node[int], 100_000)
	for i := range leaves {
		leaves[i] = lazy.Call1(inc, lazy.Value(i))
	}
	total := lazy.CallN(sum, leaves...)
	v, err := lazy.Compute(context.Background(), total)
	if want := 100_000 * 100_001 / 2; v != want || err != nil {
		t.Fatalf("wide sum = %d, %v; want %d", v, err, want)
	}
}

type recorder struct {
	mu           sync.Mutex
	tasks, ws    int
	begins, ends int
	started      map[int64]diag.Task
	ended        []diag.Task
}

func (r *recorder) Begin(tasks, workers int) {
	r.mu.Lock()
	r.begins++
	r.tasks, r.ws = tasks, workers
	r.started = map[int64]diag.Task{}
	r.mu.Unlock()
}
func (r *recorder) TaskStart(t diag.Task) { r.mu.Lock(); r.started[t.ID] = t; r.mu.Unlock() }
func (r *recorder) TaskEnd(t diag.Task)   { r.mu.Lock(); r.ended = append(r.ended, t); r.mu.Unlock() }
func (r *recorder) End()                  { r.mu.Lock(); r.ends++; r.mu.Unlock() }

func TestObserverLabelsTrace(t *testing.T) {
	boom := errors.New("boom")
	build := func() (*lazy.Node[int], *lazy.Node[int]) {
		x := lazy.Call1(inc, lazy.Value(1)).Named("x")
		y := lazy.Call1E(func(ctx context.Context, v int) (int, error) {
			if diag.TaskName(ctx) != "y" {
				return 0, fmt.Errorf("task name in ctx: %q", diag.TaskName(ctx))
			}
			return v + 1, nil
		}, lazy.Value(2)).Named("y")
		z := lazy.Call2(add, x, y)
		bad := lazy.Call1E(func(ctx context.Context, v int) (int, error) { return 0, boom }, z)
		return z, bad
	}
	var tr bytes.Buffer
	for _, traced := range []bool{false, true} {
		if traced {
			if err := trace.Start(&tr); err != nil {
				t.Skip("runtime/trace unavailable:", err)
			}
		}
		z, bad := build()
		rec := &recorder{}
		v, err := lazy.Compute(context.Background(), z, lazy.Observe(rec), lazy.Workers(2), lazy.Labels(true))
		if v != 5 || err != nil {
			t.Fatal(v, err)
		}
		if rec.begins != 1 || rec.ends != 1 || rec.tasks != 3 || rec.ws != 2 || len(rec.ended) != 3 {
			t.Fatalf("observer: %+v", rec)
		}
		names := map[string]bool{}
		for _, e := range rec.ended {
			s := rec.started[e.ID]
			if s.Name != e.Name || s.Worker != e.Worker || e.End.Before(e.Start) || e.Worker < 0 || e.Worker > 1 {
				t.Errorf("task start %+v end %+v", s, e)
			}
			names[e.Name] = true
		}
		if !names["x"] || !names["y"] || !names[z.Name()] {
			t.Errorf("names %v", names)
		}
		rec = &recorder{}
		if _, err := lazy.Compute(context.Background(), bad, lazy.Observe(rec)); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if e := rec.ended[len(rec.ended)-1]; !errors.Is(e.Err, boom) || rec.ends != 1 {
			t.Errorf("failed task reported as %+v", e)
		}
		if traced {
			trace.Stop()
			if tr.Len() == 0 {
				t.Error("empty trace")
			}
		}
	}
}

func TestConcurrentComputes(t *testing.T) {
	x := lazy.Call1(inc, lazy.Value(1))
	leaves := []*lazy.Node[int]{x}
	for i := range 200 {
		leaves = append(leaves, lazy.Call2(add, x, lazy.Value(i)))
	}
	total := lazy.CallN(sum, leaves...)
	want, _ := lazy.Compute(context.Background(), total, lazy.Workers(1))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				v, err := lazy.Compute(context.Background(), total, lazy.Workers(3))
				if v != want || err != nil {
					t.Errorf("concurrent compute = %d, %v; want %d", v, err, want)
				}
			}
		})
	}
	wg.Wait()
}

// TestNested computes a graph from inside a task of another graph and of a
// par.Map: the build lock is not held while tasks run.
func TestNested(t *testing.T) {
	inner := func(v int) int {
		r, err := lazy.Compute(context.Background(), lazy.Call1(inc, lazy.Value(v)), lazy.Workers(2))
		if err != nil {
			panic(err)
		}
		return r
	}
	outer := lazy.CallN(sum, lazy.Call1(inner, lazy.Value(1)), lazy.Call1(inner, lazy.Value(2)))
	if v, err := lazy.Compute(context.Background(), outer); v != 5 || err != nil {
		t.Fatal(v, err)
	}
	got, err := par.Map(context.Background(), []int{1, 2, 3}, func(ctx context.Context, v int) (int, error) {
		return lazy.Compute(ctx, lazy.Call1(inc, lazy.Value(v)))
	})
	if err != nil || fmt.Sprint(got) != "[2 3 4]" {
		t.Fatal(got, err)
	}
}

// panicEnd is an Observer whose TaskEnd panics.
type panicEnd struct{}

func (panicEnd) Begin(int, int)      {}
func (panicEnd) TaskStart(diag.Task) {}
func (panicEnd) TaskEnd(diag.Task)   { panic("observer end") }
func (panicEnd) End()                {}

// TestObserverPanicInTaskEnd checks that an observer panicking in TaskEnd,
// after the call's own recover, is raised again in the caller's goroutine
// instead of crashing the process from a worker.
func TestObserverPanicInTaskEnd(t *testing.T) {
	for _, w := range []int{1, 4} {
		func() {
			me := goid()
			defer func() {
				pe, ok := recover().(*par.PanicError)
				if !ok || pe.Value != "observer end" || goid() != me {
					t.Errorf("Workers(%d): recovered %v", w, pe)
				}
			}()
			x := lazy.Call1(inc, lazy.Value(1))
			y := lazy.Call1(inc, lazy.Value(2))
			_, _ = lazy.Compute(context.Background(), lazy.Call2(add, x, y), lazy.Workers(w), lazy.Observe(panicEnd{}))
			t.Errorf("Workers(%d): no panic", w)
		}()
	}
}

// TestDOTControlCharacters checks that a value whose text holds control
// characters is written without them: Graphviz passes them on to an SVG
// that no XML parser reads.
func TestDOTControlCharacters(t *testing.T) {
	var got bytes.Buffer
	if err := lazy.WriteDOT(&got, lazy.Call1(strings.ToUpper, lazy.Value("a\x01b\x1bc"))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.String(), `label="a b c"`) {
		t.Errorf("control characters not replaced:\n%q", got.String())
	}
}
