package dist

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gospeedup/speedup/diag"
)

func square(ctx context.Context, v int) (int, error) { return v * v, nil }
func add(a, b int) int                               { return a + b }

func failAt(ctx context.Context, v int) (int, error) {
	if v == 1234 || v == 4321 {
		return 0, fmt.Errorf("boom at %d", v)
	}
	return v, nil
}

func panicAt(ctx context.Context, v int) (int, error) {
	if v == 77 {
		var m map[string]int
		//lint:ignore SA5000 the panic is the test's point
		m["x"] = 1 // assignment to entry in nil map
	}
	return v, nil
}

// started is closed by blockUntilCancelled when an item is running.
var started = make(chan struct{}, 1)

func blockUntilCancelled(ctx context.Context, v int) (int, error) {
	select {
	case started <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return 0, ctx.Err()
}

func words(ctx context.Context, line string, emit func(string, int)) error {
	for _, w := range strings.Fields(line) {
		emit(w, 1)
		Inc(ctx, "words", 1)
	}
	Inc(ctx, "lines", 1)
	return nil
}

func concat(a, b string) string { return a + b }
func letter(ctx context.Context, v int) (string, error) {
	return string(rune('a' + v%26)), nil
}

type hidden struct {
	N int
	//lint:ignore U1000 an unexported field gob cannot carry is the test's point
	s string
}

func hiddenField(ctx context.Context, v int) (hidden, error) { return hidden{N: v}, nil }

func unregistered(ctx context.Context, v int) (int, error) { return v, nil }

func lateFn(ctx context.Context, v int) (int, error) { return v, nil }

func init() {
	RegisterMap(square)
	RegisterReduce(add)
	RegisterMap(failAt)
	RegisterMap(panicAt)
	RegisterMap(blockUntilCancelled)
	RegisterMapPerKey(words)
	RegisterMap(letter)
	RegisterReduce(concat)
	RegisterMap(hiddenField)
}

var tmp string

func TestMain(m *testing.M) {
	flag.Parse()
	// Init first: when a job server starts this test binary as a worker
	// (remote_test.go), Init serves there and never returns.
	Init()
	// Every run's temporary directory goes here, so that the tests can
	// check that none is left.
	var err error
	tmp, err = os.MkdirTemp("", "disttest")
	if err != nil {
		panic(err)
	}
	os.Setenv("TMPDIR", tmp)
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

func ints(n int) []int {
	xs := make([]int, n)
	for i := range xs {
		xs[i] = i
	}
	return xs
}

// clean checks that a run left no temporary directory and, after a moment
// to stop, no more goroutines than before it. The in-process prism server
// started by the first run stays for the process's life, as in Beam, so
// baselines are taken after a first run.
func clean(t *testing.T, before int) {
	t.Helper()
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		t.Errorf("left behind: %s", filepath.Join(tmp, e.Name()))
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("%d goroutines after the run, %d before:\n%s", n, before, buf)
	}
}

func warm(t *testing.T) int {
	t.Helper()
	if _, err := Map(context.Background(), ints(3), square); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	return runtime.NumGoroutine()
}

func TestContract(t *testing.T) {
	ctx := context.Background()
	xs := ints(10000)
	for _, opts := range [][]Option{nil, {Shards(1)}, {Shards(3), ChunkSize(7)}, {ChunkSize(1), Shards(2)}} {
		sq, err := Map(ctx, xs[:500], square, opts...)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range sq {
			if v != i*i {
				t.Fatalf("Map: sq[%d] = %d", i, v)
			}
		}
		total, err := MapReduce(ctx, xs, square, add, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if total != 333283335000 {
			t.Errorf("MapReduce = %d, want 333283335000", total)
		}
	}
}

// The merge need not be commutative: results are merged in input order.
func TestMapReduceOrder(t *testing.T) {
	ctx := context.Background()
	xs := ints(100)
	var want string
	for _, x := range xs {
		want += string(rune('a' + x%26))
	}
	for _, opts := range [][]Option{nil, {ChunkSize(1)}, {ChunkSize(13), Shards(4)}} {
		got, err := MapReduce(ctx, xs, letter, concat, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%v: got %q, want %q", opts, got, want)
		}
	}
}

func TestEmpty(t *testing.T) {
	ctx := context.Background()
	sq, err := Map(ctx, []int{}, square)
	if err != nil || len(sq) != 0 {
		t.Errorf("Map(empty) = %v, %v", sq, err)
	}
	total, err := MapReduce(ctx, nil, square, add)
	if err != nil || total != 0 {
		t.Errorf("MapReduce(empty) = %v, %v", total, err)
	}
}

func TestMapReducePerKey(t *testing.T) {
	ctx := context.Background()
	lines := []string{"a b a", "c a", "", "b b b", "a"}
	counters := map[string]int64{}
	var report bytes.Buffer
	got, err := MapReducePerKey(ctx, lines, words, add, ChunkSize(2), Counters(counters), Report(&report))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"a": 4, "b": 4, "c": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if counters["words"] != 9 || counters["lines"] != 5 {
		t.Errorf("counters = %v, want words 9, lines 5", counters)
	}
	r := report.String()
	for _, s := range []string{"dist: ", "words on prism: 5 items in 3 chunks", "counter lines: 5\n", "counter words: 9\n"} {
		if !strings.Contains(r, s) {
			t.Errorf("report lacks %q:\n%s", s, r)
		}
	}
}

func TestWriteTo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := MapReducePerKey(ctx, []string{"x y", "y"}, words, add, WriteTo(filepath.Join(dir, "counts"))); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "counts-00000-of-00001"))
	if err != nil || string(got) != "x\t1\ny\t2\n" {
		t.Errorf("per-key output %q, %v", got, err)
	}
	if _, err := Map(ctx, ints(5), square, WriteTo(filepath.Join(dir, "sq")), ChunkSize(3)); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "sq-00000-of-00002"))
	b, _ := os.ReadFile(filepath.Join(dir, "sq-00001-of-00002"))
	if string(a)+string(b) != "0\n1\n4\n9\n16\n" {
		t.Errorf("Map output %q %q", a, b)
	}
	if _, err := MapReduce(ctx, ints(5), square, add, WriteTo(filepath.Join(dir, "sum"))); err != nil {
		t.Fatal(err)
	}
	if s, _ := os.ReadFile(filepath.Join(dir, "sum-00000-of-00001")); string(s) != "30\n" {
		t.Errorf("MapReduce output %q", s)
	}
}

func TestItemError(t *testing.T) {
	before := warm(t)
	_, err := Map(context.Background(), ints(2000), failAt)
	var ie *ItemError
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v, want an *ItemError", err)
	}
	want := "dist: github.com/gospeedup/speedup/dist.failAt: item 1234: boom at 1234"
	if err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	_, err = MapReduce(context.Background(), ints(2000), failAt, add)
	if err == nil || err.Error() != want {
		t.Errorf("MapReduce err = %v, want %q", err, want)
	}
	// Two items fail: one error, either of them (the first to fail stops
	// the rest, as in par).
	_, err = MapReduce(context.Background(), ints(5000), failAt, add, Shards(2))
	if err == nil || !strings.Contains(err.Error(), "item 1234: boom") && !strings.Contains(err.Error(), "item 4321: boom") {
		t.Errorf("two failures: err = %v", err)
	}
	clean(t, before)
}

func TestPanic(t *testing.T) {
	before := warm(t)
	_, err := MapReduce(context.Background(), ints(100), panicAt, add)
	var ie *ItemError
	if !errors.As(err, &ie) || !ie.Panic || ie.Index != 77 {
		t.Fatalf("err = %v, want a panic at item 77", err)
	}
	if want := "dist: github.com/gospeedup/speedup/dist.panicAt: item 77: panic: assignment to entry in nil map"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if !strings.Contains(ie.Stack, "dist.panicAt") {
		t.Errorf("stack does not show the panicking function:\n%s", ie.Stack)
	}
	clean(t, before)
}

func TestCancel(t *testing.T) {
	before := warm(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	start := time.Now()
	_, err := Map(ctx, ints(100), blockUntilCancelled)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("cancellation took %v", d)
	}
	// Already cancelled: nothing runs.
	if _, err := Map(ctx, ints(3), square); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: err = %v", err)
	}
	clean(t, before)
}

func TestRegistrationErrors(t *testing.T) {
	before := warm(t)
	ctx := context.Background()
	_, err := Map(ctx, ints(3), unregistered)
	if want := "dist: github.com/gospeedup/speedup/dist.unregistered is not registered: call dist.RegisterMap(unregistered) in an init function (remote workers find functions by name)"; err == nil || err.Error() != want {
		t.Errorf("unregistered: %v", err)
	}
	k := 3
	_, err = Map(ctx, ints(3), func(ctx context.Context, v int) (int, error) { return v * k, nil })
	if err == nil || !strings.Contains(err.Error(), "dist.TestRegistrationErrors.func1 is a function literal (a closure)") {
		t.Errorf("closure: %v", err)
	}
	_, err = MapReduce(ctx, ints(3), square, func(a, b int) int { return a + b })
	if err == nil || !strings.Contains(err.Error(), "is a function literal") {
		t.Errorf("closure merge: %v", err)
	}
	_, err = MapReduce(ctx, ints(3), square, concatInts)
	if err == nil || !strings.Contains(err.Error(), "dist.concatInts is not registered: call dist.RegisterReduce(concatInts)") {
		t.Errorf("unregistered merge: %v", err)
	}
	_, err = Map(ctx, ints(3), hiddenField)
	if want := "dist: github.com/gospeedup/speedup/dist.hiddenField: result type dist.hidden cannot travel to workers: field s of dist.hidden is unexported and would be lost (export it, or implement gob.GobEncoder)"; err == nil || err.Error() != want {
		t.Errorf("unexported field: %v", err)
	}
	RegisterMap(lateFn) // after Init
	_, err = Map(ctx, ints(3), lateFn)
	if err == nil || !strings.Contains(err.Error(), "registered after dist.Init") {
		t.Errorf("late: %v", err)
	}
	clean(t, before)
}

func concatInts(a, b int) int { return a*10 + b }

func TestObserve(t *testing.T) {
	rec := diag.NewRecorder()
	if _, err := Map(context.Background(), ints(100), square, ChunkSize(10), Shards(2), Observe(rec)); err != nil {
		t.Fatal(err)
	}
	tasks := rec.Tasks()
	if len(tasks) != 10 {
		t.Fatalf("%d tasks observed, want 10", len(tasks))
	}
	var ids []int
	for _, task := range tasks {
		ids = append(ids, int(task.ID))
		if task.Worker < 0 || task.Worker > 1 {
			t.Errorf("task %d on worker %d", task.ID, task.Worker)
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, ints(10)) {
		t.Errorf("task ids %v", ids)
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		n, size, shards int
		want            int
	}{{0, 0, 2, 0}, {1, 0, 2, 1}, {10, 0, 2, 5}, {10, 3, 2, 4}, {1000, 0, 4, 16}} {
		c := config{chunkSize: tc.size, shards: tc.shards}
		b := c.split(tc.n)
		if len(b) != tc.want {
			t.Errorf("split(%d, size %d, shards %d): %d chunks, want %d", tc.n, tc.size, tc.shards, len(b), tc.want)
		}
		next := 0
		for _, r := range b {
			if r[0] != next || r[1] <= r[0] {
				t.Errorf("bad bounds %v", b)
			}
			next = r[1]
		}
		if next != tc.n {
			t.Errorf("bounds %v do not cover %d", b, tc.n)
		}
	}
}
