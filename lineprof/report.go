package lineprof

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
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
		fmt.Fprintln(bw, escape(m, false))
	}
	fmt.Fprintln(bw)
	if o.Summarize {
		for _, f := range p.Funcs {
			total := float64(f.TotalNS()) * 1e-9
			if o.SkipZero && !ran(f) {
				continue
			}
			fmt.Fprintf(bw, "%6.2f seconds - %s:%d - %s\n", total, escape(f.File, false), f.Line, escape(f.Name, false))
		}
		fmt.Fprintln(bw)
	}
	src := &sources{budget: maxSourceBytes, files: map[string]sourceFile{}}
	for _, f := range p.Funcs {
		if o.SkipZero && !ran(f) {
			continue
		}
		writeFunc(bw, f, unit, tab, src)
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

// writeFunc follows line_profiler 4's show_func. Everything taken from the
// profile is escaped (see escape): a profile may come from anyone, and its
// text goes to a terminal.
func writeFunc(w io.Writer, f *Func, unit float64, tab int, sources *sources) {
	total := f.TotalNS()
	fmt.Fprintf(w, "Total time: %.6g s\n", float64(total)*1e-9)
	fmt.Fprintf(w, "File: %s\n", escape(f.File, false))
	fmt.Fprintf(w, "Function: %s at line %d\n", escape(f.Name, false), f.Line)
	src := f.Source
	if len(src) == 0 {
		var err error
		if src, err = sources.lines(f.File, f.Line, f.EndLine); err != nil {
			// line_profiler's words for a missing file, and why.
			fmt.Fprintf(w, "Could not read the source (%s); continuing without the function's contents.\n", escape(err.Error(), false))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, headerLine)
	fmt.Fprintln(w, strings.Repeat("=", len(headerLine)))
	byLine := map[int]Line{}
	for _, l := range f.Lines {
		byLine[l.Line] = l
	}
	scale := 1e-9 / unit
	// By index, not by line number: no span can make the loop overflow.
	for i := 0; i <= f.EndLine-f.Line; i++ {
		n := f.Line + i
		text := ""
		if i < len(src) {
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

// expandTabs expands the tabs of a source line to the tab stops a terminal
// uses, counting columns as a terminal shows them: two for wide characters
// (CJK, most emoji), none for combining marks and other zero-width
// characters. Control characters are escaped (see escape) and take the
// width of their escape.
func expandTabs(s string, tab int) string {
	var b strings.Builder
	col := 0
	for i, r := range s {
		switch {
		case r == '\t':
			n := tab - col%tab
			b.WriteString(strings.Repeat(" ", n))
			col += n
		case r == utf8.RuneError && isInvalid(s[i:]):
			fmt.Fprintf(&b, `\x%02x`, s[i])
			col += 4
		case mustEscape(r):
			e := escapeRune(r)
			b.WriteString(e)
			col += len(e)
		default:
			b.WriteRune(r)
			col += runeWidth(r)
		}
	}
	return b.String()
}

// runeWidth is the number of terminal columns r takes.
func runeWidth(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
		return 0 // combining accents, variation selectors, zero-width joiner
	}
	return 1
}

func isInvalid(s string) bool {
	_, size := utf8.DecodeRuneInString(s)
	return size == 1
}

// mustEscape reports whether r must not reach a terminal as is: C0 and C1
// control characters (ESC starts the sequences that move the cursor,
// recolour, retitle the window or write to the clipboard) and the
// bidirectional overrides that make code read differently from what it is
// ("Trojan Source").
func mustEscape(r rune) bool {
	return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

func escapeRune(r rune) string {
	switch r {
	case '\t':
		return `\t`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	}
	if r < 0x80 {
		return fmt.Sprintf(`\x%02x`, r)
	}
	return fmt.Sprintf(`\u%04x`, r)
}

// escape returns s with the characters that must not reach a terminal (and
// invalid UTF-8) written as Go escapes; keepTab leaves tabs alone.
func escape(s string, keepTab bool) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || mustEscape(r) && !(keepTab && r == '\t') {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && isInvalid(s[i:]):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case mustEscape(r) && !(keepTab && r == '\t'):
			b.WriteString(escapeRune(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// quote is escape for error messages, which must stay on one line.
func quote(s string) string { return escape(s, false) }

// maxSourceBytes bounds what one report reads from source files (for the
// functions whose profile holds no source): 64 MB is many times the
// largest Go file, and a profile naming /dev/zero or a huge file must not
// make the report read it all.
const maxSourceBytes = 64 << 20

// sources reads the source files of one report, each once, within a budget
// of bytes for all of them.
type sources struct {
	budget int64
	files  map[string]sourceFile
}

type sourceFile struct {
	lines []string
	err   error
}

// lines returns lines from..to (1-based, inclusive) of the file.
func (s *sources) lines(path string, from, to int) ([]string, error) {
	sf, ok := s.files[path]
	if !ok {
		var b []byte
		b, sf.err = readRegular(path, s.budget)
		s.budget -= int64(len(b))
		if sf.err == nil {
			sf.lines = strings.Split(string(b), "\n")
		}
		s.files[path] = sf
	}
	if sf.err != nil {
		return nil, sf.err
	}
	return clip(sf.lines, from, to), nil
}

func clip(lines []string, from, to int) []string {
	if from < 1 || from > len(lines) || to < from {
		return nil
	}
	if to > len(lines) {
		to = len(lines)
	}
	return lines[from-1 : to]
}

// SourceLines returns lines from..to of the file (for Func.Source), or
// nothing when the file cannot be read, is not a regular file or is larger
// than 64 MB.
func SourceLines(path string, from, to int) []string {
	b, err := readRegular(path, maxSourceBytes)
	if err != nil {
		return nil
	}
	return clip(strings.Split(string(b), "\n"), from, to)
}
