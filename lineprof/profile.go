// Package lineprof holds speedup's line profiles: the results of
// "speedup lprun" (how often each line of the profiled functions ran, and
// where the time went), their JSON form (lprun -D, read back by "speedup
// view"), and their text report, which follows line_profiler's layout
// exactly so that people who know %lprun read it at once.
//
// Times are stored in nanoseconds. The meaning of Hits and Time is specified
// in docs/lprun.md.
package lineprof

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"sort"
	"syscall"

	"github.com/gospeedup/speedup/internal/atomicfile"
)

// Profile is the result of one or more profiled runs.
type Profile struct {
	// Unit is the unit of the stored times in seconds: always 1e-9, kept in
	// the file so that readers need not guess.
	Unit float64 `json:"unit"`
	// Method says how Hits and Time were measured, and their error; the
	// report prints it under the timer unit line.
	Method []string `json:"method,omitempty"`
	// Funcs are the profiled functions.
	Funcs []*Func `json:"functions"`
}

// Func is one profiled function.
type Func struct {
	// File is the absolute path of the function's source file.
	File string `json:"file"`
	// Name is the function as the report shows it: "distance", "(*T).M".
	Name string `json:"function"`
	// Line and EndLine are the lines of the func keyword and of the closing
	// brace.
	Line    int `json:"line"`
	EndLine int `json:"end_line"`
	// Source holds the text of lines Line..EndLine, so that a saved profile
	// can be printed after the file changed or on another machine.
	Source []string `json:"source,omitempty"`
	// Lines are the lines that ran or took time, in line order.
	Lines []Line `json:"lines"`
}

// Line is what one source line did.
type Line struct {
	Line int   `json:"line"`
	Hits int64 `json:"hits"`
	// TimeNS is the line's wall-clock time in nanoseconds.
	TimeNS int64 `json:"time_ns"`
}

// TotalNS is the function's total time: the sum of its lines' times.
func (f *Func) TotalNS() int64 {
	var t int64
	for _, l := range f.Lines {
		t += l.TimeNS
	}
	return t
}

// Sort puts the functions in file and line order and each function's
// lines in line order.
func (p *Profile) Sort() {
	sort.SliceStable(p.Funcs, func(i, j int) bool {
		a, b := p.Funcs[i], p.Funcs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	for _, f := range p.Funcs {
		sort.Slice(f.Lines, func(i, j int) bool { return f.Lines[i].Line < f.Lines[j].Line })
	}
}

// Save writes p as indented JSON to path.
func (p *Profile) Save(path string) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	// Atomic, so that a failed -D never leaves half a profile to view.
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// Limits on a saved profile, which "speedup view" may get from anyone:
// whatever a file holds, the work and the memory of reading, merging and
// printing it stay proportional to its size.
const (
	// maxFuncLines bounds a function's span; Go functions of more lines
	// than this are not written by people.
	maxFuncLines = 100000
	// maxLineNumber bounds line numbers, so that no loop over a span can
	// overflow an int.
	maxLineNumber = 1 << 30
	// maxSourcelessLines bounds the rows of the functions of one profile
	// that carry no source (their text is read from their file when
	// printed): lprun always stores the source, so a profile without it was
	// written by hand, and each of its rows costs no byte of the file.
	maxSourcelessLines = 20000
	// maxProfileBytes bounds the size of a profile file.
	maxProfileBytes = 256 << 20
)

// Load reads a profile written by Save. It refuses anything but a regular
// file (a FIFO would block for ever, a device never end) and files larger
// than any profile lprun writes.
func Load(path string) (*Profile, error) {
	b, err := readRegular(path, maxProfileBytes)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// readRegular reads at most limit bytes of the regular file path; a larger
// file is an error.
func readRegular(path string, limit int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading must not wait for a writer
	// before Stat can tell what it is.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%s)", path, kind(fi.Mode()))
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %s", path, size(limit))
	}
	return b, nil
}

// size formats a byte count for error messages.
func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// kind names a file mode's type for error messages.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "special file"
}

// Parse decodes a profile written by Save; path is used in error messages.
// Anything it accepts can be merged and reported without failing, in time
// and memory proportional to len(b), so a hand-edited, truncated or
// hostile file gets one clear error here and nothing worse later: spans
// must be sane and match the stored source, hits and times must be
// non-negative, every line must lie in its function, and no sum may
// overflow.
func Parse(path string, b []byte) (*Profile, error) {
	var p Profile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: not a speedup line profile: %v", path, err)
	}
	if p.Unit == 0 {
		return nil, fmt.Errorf("%s: not a speedup line profile (no unit)", path)
	}
	if !(p.Unit >= 1e-12 && p.Unit <= 1e3) { // NaN too
		return nil, fmt.Errorf("%s: unit %g s is not a time unit (want 1e-9)", path, p.Unit)
	}
	sourceless := 0
	for i, f := range p.Funcs {
		if f == nil || f.File == "" || f.Name == "" || f.Line <= 0 || f.EndLine < f.Line || f.EndLine > maxLineNumber {
			return nil, fmt.Errorf("%s: malformed function entry #%d", path, i+1)
		}
		if err := checkSpan(f); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(f.Source) == 0 {
			if sourceless += f.EndLine - f.Line + 1; sourceless > maxSourcelessLines {
				return nil, fmt.Errorf("%s: more than %d lines of functions without their source", path, maxSourcelessLines)
			}
		}
		if err := checkLines(f, p.Unit); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	p.Unit = 1e-9
	return &p, nil
}

// checkSpan checks the lines Line to EndLine of a well-formed function
// entry f against the limit and its stored source.
func checkSpan(f *Func) error {
	// The report prints one row per line from Line to EndLine: a corrupt
	// span would print millions of rows rather than fail.
	n := f.EndLine - f.Line + 1
	if n > maxFuncLines {
		return fmt.Errorf("function %s: lines %d-%d: more than %d lines", quote(f.Name), f.Line, f.EndLine, maxFuncLines)
	}
	if len(f.Source) > 0 && n != len(f.Source) {
		return fmt.Errorf("function %s: lines %d-%d do not match its %d source lines", quote(f.Name), f.Line, f.EndLine, len(f.Source))
	}
	return nil
}

// checkLines checks the line entries of f, each once, inside the function,
// with non-negative hits and times whose sum fits in int64, and converts
// their times from unit seconds to nanoseconds.
func checkLines(f *Func, unit float64) error {
	name := quote(f.Name)
	seen := make(map[int]bool, len(f.Lines))
	var total int64
	for j := range f.Lines {
		l := &f.Lines[j]
		switch {
		case l.Line < f.Line || l.Line > f.EndLine:
			return fmt.Errorf("function %s: line %d is outside its lines %d-%d", name, l.Line, f.Line, f.EndLine)
		case seen[l.Line]:
			return fmt.Errorf("function %s: line %d is listed twice", name, l.Line)
		case l.Hits < 0 || l.TimeNS < 0:
			return fmt.Errorf("function %s: line %d: negative hits or time", name, l.Line)
		}
		seen[l.Line] = true
		if unit != 1e-9 {
			// Files always store nanoseconds; convert anything else.
			ns := math.Round(float64(l.TimeNS) * unit / 1e-9)
			if ns >= math.MaxInt64 {
				return fmt.Errorf("function %s: line %d: time overflows int64 nanoseconds", name, l.Line)
			}
			l.TimeNS = int64(ns)
		}
		var ok bool
		if total, ok = add(total, l.TimeNS); !ok {
			return fmt.Errorf("function %s: total time overflows int64 nanoseconds", name)
		}
	}
	return nil
}

// add returns a+b, and false when the sum overflows.
func add(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}

// A SourceMismatchError is Merge's refusal to add up a function whose
// source differs between two profiles: its line numbers then name
// different statements, and adding them would credit one line's hits to
// another.
type SourceMismatchError struct {
	// Func is the function, File its file and Line its first line.
	Func, File string
	Line       int
	// A and B are the indexes, in Merge's arguments, of the first profile
	// that has the function and of the one that differs.
	A, B int
	// NameA and NameB, when the caller sets them (to the files' names),
	// replace "profile A+1" in the message.
	NameA, NameB string
}

func (e *SourceMismatchError) Error() string {
	a, b := fmt.Sprintf("profile %d", e.A+1), fmt.Sprintf("profile %d", e.B+1)
	if e.NameA != "" && e.NameB != "" {
		a, b = quote(e.NameA), quote(e.NameB)
	}
	return fmt.Sprintf("function %s (%s:%d) has different source in %s and %s (the file changed between the runs): view them separately",
		quote(e.Func), quote(e.File), e.Line, a, b)
}

// Merge adds the profiles: functions are matched by file, name and line,
// and their hits and times add, like line_profiler's merging of saved
// results. It refuses, with a *SourceMismatchError, a function whose
// stored source (or span) differs between two profiles, and sums that
// overflow int64.
func Merge(ps ...*Profile) (*Profile, error) {
	out := &Profile{Unit: 1e-9}
	type key struct {
		file, name string
		line       int
	}
	type merged struct {
		f    *Func
		from int         // index of the first profile that has it
		idx  map[int]int // line -> index in f.Lines
	}
	byKey := map[key]*merged{}
	for pi, p := range ps {
		for _, f := range p.Funcs {
			k := key{f.File, f.Name, f.Line}
			m := byKey[k]
			if m == nil {
				m = &merged{f: &Func{File: f.File, Name: f.Name, Line: f.Line, EndLine: f.EndLine, Source: f.Source}, from: pi, idx: map[int]int{}}
				byKey[k] = m
				out.Funcs = append(out.Funcs, m.f)
			} else if f.EndLine != m.f.EndLine || len(f.Source) > 0 && len(m.f.Source) > 0 && !slices.Equal(f.Source, m.f.Source) {
				if pi != m.from {
					return nil, &SourceMismatchError{Func: f.Name, File: f.File, Line: f.Line, A: m.from, B: pi}
				}
				return nil, fmt.Errorf("function %s (%s:%d) is listed twice in profile %d with different source", quote(f.Name), quote(f.File), f.Line, pi+1)
			} else if len(m.f.Source) == 0 {
				m.f.Source = f.Source
			}
			for _, l := range f.Lines {
				i, ok := m.idx[l.Line]
				if !ok {
					m.idx[l.Line] = len(m.f.Lines)
					m.f.Lines = append(m.f.Lines, l)
					continue
				}
				h, ok1 := add(m.f.Lines[i].Hits, l.Hits)
				t, ok2 := add(m.f.Lines[i].TimeNS, l.TimeNS)
				if !ok1 || !ok2 {
					return nil, fmt.Errorf("function %s (%s:%d): line %d: merged hits or time overflow int64", quote(f.Name), quote(f.File), f.Line, l.Line)
				}
				m.f.Lines[i].Hits, m.f.Lines[i].TimeNS = h, t
			}
		}
	}
	// Each function's total must fit too (the report divides by it).
	for _, m := range byKey {
		var total int64
		for _, l := range m.f.Lines {
			var ok bool
			if total, ok = add(total, l.TimeNS); !ok {
				return nil, fmt.Errorf("function %s (%s:%d): merged total time overflows int64", quote(m.f.Name), quote(m.f.File), m.f.Line)
			}
		}
	}
	if len(ps) == 1 {
		out.Method = ps[0].Method
	} else if len(ps) > 1 {
		out.Method = []string{fmt.Sprintf("Merged from %d profiles: hits and times are sums.", len(ps))}
	}
	out.Sort()
	return out, nil
}
