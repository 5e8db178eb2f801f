package timeit

import (
	"sort"
	"strings"
)

// Grid returns every combination of the parameters' values (their
// cartesian product), the first parameter varying slowest: the order in
// which a sweep measures and prints them. Without parameters it returns
// one empty combination.
func Grid(params []Param) [][]any {
	out := [][]any{nil}
	for _, p := range params {
		var next [][]any
		for _, prefix := range out {
			for _, v := range p.Values {
				next = append(next, append(append([]any{}, prefix...), v))
			}
		}
		out = next
	}
	return out
}

// Label names one combination of values as the result lines of a sweep
// do: `n=10000 s="ab"`.
func Label(params []Param, values []any) string {
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = p.Format(values[i])
	}
	return strings.Join(parts, " ")
}

// Number returns a parameter value as a number (an axis position), and
// false for a string.
func Number(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// GridPoint is one measurement of a sweep: the parameters' values (in the
// order of the parameters) and its result.
type GridPoint struct {
	Values []any
	Result *Result
}

// Growth is the fitted growth of the time with one parameter, the others
// held at the values in At (nil without a grid).
type Growth struct {
	Fit    Fit
	At     map[string]any
	Points []SweepPoint
}

// String is the line a sweep prints: "time ~ n^1.02 (R² 0.999)", followed
// for a grid by the other parameters' values: ` at k=3 s="ab"`.
func (g Growth) String() string {
	line := g.Fit.String()
	if len(g.At) > 0 {
		line += " at " + formatAt(g.At)
	}
	return line
}

// FitGrid fits the time against each numeric parameter, once for each
// combination of the other parameters' values (a single fit per parameter
// without a grid). Parameters with fewer than two values, string
// parameters and groups whose fit fails (a zero time) have no line.
func FitGrid(params []Param, points []GridPoint) []Growth {
	var out []Growth
	for pi, p := range params {
		if len(p.Values) < 2 {
			continue
		}
		groups := map[string]*Growth{}
		var order []string
		for _, pt := range points {
			x, ok := Number(pt.Values[pi])
			if !ok {
				break
			}
			key := ""
			at := map[string]any{}
			for qi, q := range params {
				if qi != pi {
					key += q.Format(pt.Values[qi]) + " "
					at[q.Name] = pt.Values[qi]
				}
			}
			g := groups[key]
			if g == nil {
				g = &Growth{At: at}
				groups[key] = g
				order = append(order, key)
			}
			g.Points = append(g.Points, SweepPoint{Value: pt.Values[pi], X: x, Result: pt.Result})
		}
		for _, key := range order {
			g := groups[key]
			// FitSweep fits the unrounded means: Result.Mean is whole
			// nanoseconds, too coarse for statements of a few ns.
			f, err := FitSweep(p.Name, g.Points)
			if err != nil {
				continue // such as a zero time: no meaningful growth
			}
			if len(g.At) == 0 {
				g.At = nil
			}
			g.Fit = f
			out = append(out, *g)
		}
	}
	return out
}

// formatAt names the values held fixed, sorted by name, as the result
// lines' labels do (s="a", not s=a).
func formatAt(at map[string]any) string {
	names := make([]string, 0, len(at))
	for n := range at {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = Param{Name: n}.Format(at[n])
	}
	return strings.Join(parts, " ")
}
