package kernel

import (
	"errors"
	"strings"
	"testing"
)

// failOnCell declares functions that fail only on a later call in their
// process: the first runs of a measurement succeed.
const failOnCell = `var calls int

func panicOn(n int) int {
	calls++
	if calls == n {
		panic(fmt.Sprintf("call %d", n))
	}
	return 1
}

func exitOn(n int) int {
	calls++
	if calls == n {
		os.Exit(3)
	}
	return 1
}`

// TestMagicLaterRunFails: a statement that panics, or ends its program,
// on a later call than the first (in %timeit's calibration or its timed
// repeats, in %scaling, in %lprun's timing runs) is the magic's error,
// and no timing or report is shown, as IPython's %timeit shows the
// exception of a statement that raises.
func TestMagicLaterRunFails(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds cell programs")
	}
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &cellRunner{s: s}
	if _, out, err := c.exec(failOnCell); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	for _, tc := range []struct {
		code, name, value string
	}{
		{"%timeit _ = panicOn(2)", "panic", "call 2"},
		{"%timeit -n 10 -r 3 _ = panicOn(25)", "panic", "call 25"},
		{"%timeit -n 10 -r 3 _ = exitOn(25)", "Error", "exit status 3"},
		{"%scaling --cpu 1 -n 10 -r 3 _ = panicOn(25)", "panic", "call 25"},
		{"%lprun --max-time 50ms -f panicOn _ = panicOn(2)", "panic", "call 2 (on a later run of the statement"},
		{"%lprun --max-time 50ms -f panicOn _ = panicOn(25)", "panic", "call 25 (on a later run of the statement"},
		{"%lprun --max-time 50ms -f exitOn _ = exitOn(25)", "Error", "exit status 3"},
	} {
		r, v, err := c.record(tc.code)
		var ce *CellError
		if !errors.As(err, &ce) || ce.Name != tc.name || !strings.Contains(ce.Value, tc.value) || strings.Contains(ce.Value, "\n") {
			t.Errorf("%q: error %#v, want a one-line %s error with %q", tc.code, err, tc.name, tc.value)
		}
		out := r.streams.String()
		if v != nil || len(r.displays) != 0 || strings.Contains(out, "per loop") || strings.Contains(out, "Karp-Flatt") {
			t.Errorf("%q: a measurement was shown for a statement that fails: %v %v %q", tc.code, v, r.displays, out)
		}
	}
}
