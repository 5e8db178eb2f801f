package scaling

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gospeedup/speedup/timeit"
)

// String renders the report as the table speedup scaling prints:
//
//	P  time (mean ± std. dev.)  speedup  efficiency  Karp-Flatt
//	1  10 ms ± 100 µs              1.00        1.00           -
//	2  6 ms ± 50 µs                1.67        0.83       0.200
//	Amdahl fit: serial fraction f = 0.2, max speedup 1/f = 5
//	warning: ...
//
// Times are per loop, in IPython's units (timeit.FormatTime). The
// warnings are part of the text, not left to the caller, because a saved
// table without them (say, the oversubscribed rows) would be misread.
func (r *Report) String() string {
	header := []string{"P", "time (mean ± std. dev.)", "speedup", "efficiency", "Karp-Flatt"}
	rows := [][]string{header}
	for _, p := range r.Points {
		kf := "-"
		if !math.IsNaN(p.KarpFlatt) {
			kf = strconv.FormatFloat(p.KarpFlatt, 'f', 3, 64)
		}
		rows = append(rows, []string{
			strconv.Itoa(p.Procs),
			timeit.FormatTime(p.Mean, 0) + " ± " + timeit.FormatTime(p.Stdev, 0),
			strconv.FormatFloat(p.Speedup, 'f', 2, 64),
			strconv.FormatFloat(p.Efficiency, 'f', 2, 64),
			kf,
		})
	}
	widths := make([]int, len(header))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		var line strings.Builder
		for i, cell := range row {
			if i > 0 {
				line.WriteString("  ")
			}
			// The time column reads left to right like a sentence; the
			// numbers are right-aligned so their decimal points line up.
			if i == 1 {
				fmt.Fprintf(&line, "%-*s", widths[i], cell)
			} else {
				fmt.Fprintf(&line, "%*s", widths[i], cell)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	if r.Amdahl.Fitted {
		fmt.Fprintf(&b, "Amdahl fit: serial fraction f = %s, max speedup 1/f = %s\n",
			formatFraction(r.Amdahl.SerialFraction), formatCeiling(r.Amdahl.MaxSpeedup))
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning: %v\n", w)
	}
	return b.String()
}

// formatFraction prints f to three significant digits ("0.0431", "0",
// "1"): a serial fraction is usually small, and fixed decimals would round
// 0.0004 to a misleading 0.000.
func formatFraction(f float64) string {
	return strconv.FormatFloat(f, 'g', 3, 64)
}

// formatCeiling prints 1/f to three significant digits but never in
// exponent notation ("23.3", "5", "1250"), and +Inf as "∞".
func formatCeiling(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "∞"
	case x >= 1000:
		return strconv.FormatFloat(x, 'f', 0, 64)
	default:
		return strconv.FormatFloat(x, 'g', 3, 64)
	}
}
