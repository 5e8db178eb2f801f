package lineprof

import (
	"math"
	"strconv"
	"testing"
)

func TestCheckLines(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []Line
		unit  float64
		want  string  // error, "" for none
		ns    []int64 // times after conversion
	}{
		{"nanoseconds kept", []Line{{Line: 10, Hits: 1, TimeNS: 5}, {Line: 12, TimeNS: 7}}, 1e-9, "", []int64{5, 7}},
		{"microseconds converted", []Line{{Line: 10, Hits: 1, TimeNS: 5}}, 1e-6, "", []int64{5000}},
		{"outside", []Line{{Line: 9}}, 1e-9, `function f: line 9 is outside its lines 10-12`, nil},
		{"twice", []Line{{Line: 11}, {Line: 11}}, 1e-9, `function f: line 11 is listed twice`, nil},
		{"negative", []Line{{Line: 11, Hits: -1}}, 1e-9, `function f: line 11: negative hits or time`, nil},
		{"conversion overflows", []Line{{Line: 11, TimeNS: math.MaxInt64 / 2}}, 1, `function f: line 11: time overflows int64 nanoseconds`, nil},
		{"sum overflows", []Line{{Line: 10, TimeNS: math.MaxInt64}, {Line: 11, TimeNS: 1}}, 1e-9, `function f: total time overflows int64 nanoseconds`, nil},
	} {
		f := &Func{File: "a.go", Name: "f", Line: 10, EndLine: 12, Lines: tc.lines}
		err := checkLines(f, tc.unit)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%s: checkLines = %q, want %q", tc.name, got, tc.want)
			continue
		}
		for i, ns := range tc.ns {
			if f.Lines[i].TimeNS != ns {
				t.Errorf("%s: line %d: %d ns, want %d", tc.name, f.Lines[i].Line, f.Lines[i].TimeNS, ns)
			}
		}
	}
}

func TestCheckSpan(t *testing.T) {
	for _, tc := range []struct {
		f    Func
		want string
	}{
		{Func{Name: "f", Line: 1, EndLine: 3}, ""},
		{Func{Name: "f", Line: 1, EndLine: 2, Source: []string{"a", "b"}}, ""},
		{Func{Name: "f", Line: 1, EndLine: 3, Source: []string{"a"}}, `function f: lines 1-3 do not match its 1 source lines`},
		{Func{Name: "f", Line: 1, EndLine: maxFuncLines + 1}, `function f: lines 1-` + strconv.Itoa(maxFuncLines+1) + ": more than " + strconv.Itoa(maxFuncLines) + " lines"},
	} {
		err := checkSpan(&tc.f)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("checkSpan(%d-%d, %d source lines) = %q, want %q", tc.f.Line, tc.f.EndLine, len(tc.f.Source), got, tc.want)
		}
	}
}
