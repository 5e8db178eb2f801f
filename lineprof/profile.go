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
	"math"
	"os"
	"sort"

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

// maxFuncLines bounds a function's span in a saved profile; Go functions
// of more lines than this are not written by people.
const maxFuncLines = 100000

// Load reads a profile written by Save.
func Load(path string) (*Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, b)
}

// Parse decodes a profile written by Save; name is used in error messages.
// Anything it accepts can be merged and reported without failing, so a
// hand-edited or truncated file gets one clear error here and nothing worse
// later.
func Parse(path string, b []byte) (*Profile, error) {
	var p Profile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: not a speedup line profile: %v", path, err)
	}
	if p.Unit == 0 {
		return nil, fmt.Errorf("%s: not a speedup line profile (no unit)", path)
	}
	for _, f := range p.Funcs {
		if f == nil || f.File == "" || f.Name == "" || f.Line <= 0 || f.EndLine < f.Line {
			return nil, fmt.Errorf("%s: malformed function entry", path)
		}
		// The report prints one row per line from Line to EndLine: a
		// corrupt span would print millions of rows rather than fail.
		if n := f.EndLine - f.Line + 1; len(f.Source) > 0 && n != len(f.Source) || n > maxFuncLines {
			return nil, fmt.Errorf("%s: function %s: lines %d-%d do not match its %d source lines", path, f.Name, f.Line, f.EndLine, len(f.Source))
		}
	}
	if p.Unit != 1e-9 {
		// Files always store nanoseconds; convert anything else.
		for _, f := range p.Funcs {
			for i := range f.Lines {
				f.Lines[i].TimeNS = int64(math.Round(float64(f.Lines[i].TimeNS) * p.Unit / 1e-9))
			}
		}
		p.Unit = 1e-9
	}
	return &p, nil
}

// Merge adds the profiles: functions are matched by file, name and line,
// and their hits and times add, like line_profiler's merging of saved
// results.
func Merge(ps ...*Profile) *Profile {
	out := &Profile{Unit: 1e-9}
	type key struct {
		file, name string
		line       int
	}
	byKey := map[key]*Func{}
	for _, p := range ps {
		for _, f := range p.Funcs {
			k := key{f.File, f.Name, f.Line}
			m := byKey[k]
			if m == nil {
				m = &Func{File: f.File, Name: f.Name, Line: f.Line, EndLine: f.EndLine, Source: f.Source}
				byKey[k] = m
				out.Funcs = append(out.Funcs, m)
			}
			idx := map[int]int{}
			for i, l := range m.Lines {
				idx[l.Line] = i
			}
			for _, l := range f.Lines {
				if i, ok := idx[l.Line]; ok {
					m.Lines[i].Hits += l.Hits
					m.Lines[i].TimeNS += l.TimeNS
				} else {
					idx[l.Line] = len(m.Lines)
					m.Lines = append(m.Lines, l)
				}
			}
		}
	}
	if len(ps) == 1 {
		out.Method = ps[0].Method
	} else if len(ps) > 1 {
		out.Method = []string{fmt.Sprintf("Merged from %d profiles: hits and times are sums.", len(ps))}
	}
	out.Sort()
	return out
}
