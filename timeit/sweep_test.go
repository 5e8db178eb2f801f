package timeit

import (
	"math"
	"reflect"
	"testing"
	"time"
)

func TestGridAndLabel(t *testing.T) {
	params := []Param{{Name: "n", Values: []any{1, 2}}, {Name: "s", Values: []any{"a", "b", "c"}}}
	g := Grid(params)
	if len(g) != 6 || !reflect.DeepEqual(g[0], []any{1, "a"}) || !reflect.DeepEqual(g[5], []any{2, "c"}) || !reflect.DeepEqual(g[3], []any{2, "a"}) {
		t.Errorf("Grid = %v, want n slowest", g)
	}
	if got := Label(params, g[4]); got != `n=2 s="b"` {
		t.Errorf("Label = %q", got)
	}
	if g := Grid(nil); len(g) != 1 || len(g[0]) != 0 {
		t.Errorf("Grid(nil) = %v, want one empty combination", g)
	}
}

// result returns a Result whose mean per loop is sec seconds.
func result(t *testing.T, sec float64) *Result {
	t.Helper()
	r, err := NewResult([]Sample{{Loops: 1000, Elapsed: time.Duration(sec * 1000 * 1e9)}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestFitGrid fits a grid n × k whose time is n^1 at k=1 and n^2 at k=2:
// one line per (parameter, other values), and none for the string
// parameter.
func TestFitGrid(t *testing.T) {
	params := []Param{
		{Name: "n", Values: []any{10, 100, 1000}},
		{Name: "k", Values: []any{1, 2}},
		{Name: "s", Values: []any{"x"}},
	}
	var pts []GridPoint
	for _, v := range Grid(params) {
		n, k := float64(v[0].(int)), float64(v[1].(int))
		pts = append(pts, GridPoint{Values: v, Result: result(t, 1e-9*math.Pow(n, k))})
	}
	fits := FitGrid(params, pts)
	var lines []string
	for _, f := range fits {
		lines = append(lines, f.String())
	}
	want := []string{
		`time ~ n^1.00 (R² 1.000) at k=1 s="x"`,
		`time ~ n^2.00 (R² 1.000) at k=2 s="x"`,
		// time doubles its exponent of n from k=1 to k=2: n^2/n = n
		// = 2^(log2 n), so k's exponent is log2 n. Two values of k fit
		// any power exactly: no R².
		`time ~ k^3.32 (R² n/a: 2 values of k) at n=10 s="x"`,
		`time ~ k^6.64 (R² n/a: 2 values of k) at n=100 s="x"`,
		`time ~ k^9.97 (R² n/a: 2 values of k) at n=1000 s="x"`,
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("FitGrid lines:\n%q\nwant\n%q", lines, want)
	}
	if len(fits[0].Points) != 3 || fits[0].Points[2].X != 1000 {
		t.Errorf("the first fit's points: %+v", fits[0].Points)
	}

	// One parameter: no "at".
	one := []Param{{Name: "n", Values: []any{1, 10}}}
	fits = FitGrid(one, []GridPoint{{[]any{1}, result(t, 1e-6)}, {[]any{10}, result(t, 1e-5)}})
	if len(fits) != 1 || fits[0].At != nil || fits[0].String() != "time ~ n^1.00 (R² n/a: 2 values of n)" {
		t.Errorf("one parameter: %+v", fits)
	}
	// Strings are not numbers.
	if fits := FitGrid([]Param{{Name: "s", Values: []any{"a", "b"}}}, []GridPoint{{[]any{"a"}, result(t, 1)}, {[]any{"b"}, result(t, 2)}}); len(fits) != 0 {
		t.Errorf("a string parameter was fitted: %+v", fits)
	}
}

// TestFormatAt checks that a grid's fit names the other parameters as the
// result lines do (s="a", not s=a).
func TestFormatAt(t *testing.T) {
	if got, want := formatAt(map[string]any{"s": "a", "n": 10}), `n=10 s="a"`; got != want {
		t.Errorf("formatAt = %q, want %q", got, want)
	}
}
