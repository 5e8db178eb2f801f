package lineprof

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// ReportOptions changes how Report prints.
type ReportOptions struct {
	// Unit is the output unit in seconds (line_profiler's output_unit, -u);
	// 0 means the timer unit, 1e-9.
	Unit float64
	// SkipZero leaves out functions that never ran (-z).
	SkipZero bool
	// Summarize first prints one line per function with its total time.
	Summarize bool
	// TabWidth is the tab stop used to expand tabs in the source lines; 0
	// means 8, as terminals show Go files.
	TabWidth int
}

// The column widths of line_profiler's show_func.
const (
	colHits    = 9
	colTime    = 12
	colPerHit  = 8
	rowFormat  = "%6s %9s %12s %8s %8s  %-s"
	headerLine = "Line #      Hits         Time  Per Hit   % Time  Line Contents"
)

// Report writes p in line_profiler's layout.
func Report(w io.Writer, p *Profile, o ReportOptions) error {
	bw := bufio.NewWriter(w)
	unit := o.Unit
	if unit == 0 {
		unit = 1e-9
	}
	tab := o.TabWidth
	if tab <= 0 {
		tab = 8
	}
	fmt.Fprintf(bw, "Timer unit: %.6g s\n", unit)
	for _, m := range p.Method {
		fmt.Fprintln(bw, m)
	}
	fmt.Fprintln(bw)
	if o.Summarize {
		for _, f := range p.Funcs {
			total := float64(f.TotalNS()) * 1e-9
			if o.SkipZero && !ran(f) {
				continue
			}
			fmt.Fprintf(bw, "%6.2f seconds - %s:%d - %s\n", total, f.File, f.Line, f.Name)
		}
		fmt.Fprintln(bw)
	}
	for _, f := range p.Funcs {
		if o.SkipZero && !ran(f) {
			continue
		}
		writeFunc(bw, f, unit, tab)
	}
	return bw.Flush()
}

func ran(f *Func) bool {
	for _, l := range f.Lines {
		if l.Hits != 0 || l.TimeNS != 0 {
			return true
		}
	}
	return false
}

// writeFunc follows line_profiler 4's show_func.
func writeFunc(w io.Writer, f *Func, unit float64, tab int) {
	total := f.TotalNS()
	fmt.Fprintf(w, "Total time: %.6g s\n", float64(total)*1e-9)
	fmt.Fprintf(w, "File: %s\n", f.File)
	fmt.Fprintf(w, "Function: %s at line %d\n", f.Name, f.Line)
	fmt.Fprintln(w)
	fmt.Fprintln(w, headerLine)
	fmt.Fprintln(w, strings.Repeat("=", len(headerLine)))
	src := f.Source
	if len(src) == 0 {
		src = readLines(f.File, f.Line, f.EndLine)
	}
	byLine := map[int]Line{}
	for _, l := range f.Lines {
		byLine[l.Line] = l
	}
	scale := 1e-9 / unit
	for n := f.Line; n <= f.EndLine; n++ {
		text := ""
		if i := n - f.Line; i < len(src) {
			text = expandTabs(strings.TrimRight(src[i], "\r\n"), tab)
		}
		l, ok := byLine[n]
		if !ok || (l.Hits == 0 && l.TimeNS == 0) {
			fmt.Fprintf(w, rowFormat+"\n", fmt.Sprint(n), "", "", "", "", text)
			continue
		}
		hits, perHit, pct := "", "", ""
		if l.Hits > 0 {
			hits = fmt.Sprintf("%d", l.Hits)
			if len(hits) > colHits {
				// Python's %g: 6 significant digits.
				hits = fmt.Sprintf("%.6g", float64(l.Hits))
			}
			perHit = num(float64(l.TimeNS)*scale/float64(l.Hits), colPerHit)
		}
		if total != 0 {
			pct = fmt.Sprintf("%5.1f", 100*float64(l.TimeNS)/float64(total))
		}
		t := num(float64(l.TimeNS)*scale, colTime)
		fmt.Fprintf(w, rowFormat+"\n", fmt.Sprint(n), hits, t, perHit, pct, text)
	}
	fmt.Fprintln(w)
}

// num formats a time as %5.1f, or %5.3g when that is wider than the column.
func num(v float64, width int) string {
	s := fmt.Sprintf("%5.1f", v)
	if len(s) > width {
		s = fmt.Sprintf("%5.3g", v)
	}
	return s
}

func expandTabs(s string, tab int) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	var b strings.Builder
	col := 0
	for _, r := range s {
		if r == '\t' {
			n := tab - col%tab
			b.WriteString(strings.Repeat(" ", n))
			col += n
			continue
		}
		b.WriteRune(r)
		col++
	}
	return b.String()
}

// readLines returns lines from..to (1-based, inclusive) of the file, or
// nothing when the file cannot be read.
func readLines(path string, from, to int) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	lines := strings.Split(string(b), "\n")
	if from < 1 || from > len(lines) {
		return nil
	}
	if to > len(lines) {
		to = len(lines)
	}
	return lines[from-1 : to]
}

// SourceLines returns lines from..to of the file (for Func.Source).
func SourceLines(path string, from, to int) []string { return readLines(path, from, to) }
