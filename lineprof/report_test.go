package lineprof

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gospeedup/speedup/internal/golden"
)

// sample is a profile with fixed numbers: line_profiler's own reference
// run (../shared/reference/line_profiler-4.0.2-distance.txt) transcribed
// to Go, plus a second function that never ran.
func sample() *Profile {
	return &Profile{
		Unit:   1e-9,
		Method: []string{"Hits: exact.", "Time: made up."},
		Funcs: []*Func{{
			File: "/src/distance.go", Name: "distance", Line: 3, EndLine: 16,
			Source: []string{
				"func distance() Matrix {",
				"\tX := randMatrix(100, 100)",
				"\tD := empty(100, 100)",
				"",
				"\tM := len(X)",
				"\tN := len(X[0])",
				"\tfor i := 0; i < M; i++ {",
				"\t\tfor j := 0; j < M; j++ {",
				"\t\t\td := 0.0",
				"\t\t\tfor k := 0; k < N; k++ {",
				"\t\t\t\ttmp := X[i][k] - X[j][k]",
				"\t\t\t\td += tmp * tmp",
				"\t\t\t}",
				"}",
			},
			Lines: []Line{
				{4, 1, 98296}, {5, 1, 3145}, {7, 1, 731}, {8, 1, 300},
				{9, 101, 9368}, {10, 10100, 1006109}, {11, 10000, 1076353},
				{12, 1010000, 92883057}, {13, 1000000, 298377280},
				{14, 1000000000000, 199926555},
				{16, 0, 1234}, // time without hits: the closing brace
			},
		}, {
			File: "/src/distance.go", Name: "(*T).never", Line: 20, EndLine: 22,
			Source: []string{"func (t *T) never() {", "\tt.x++", "}"},
		}},
	}
}

func TestReportGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		o    ReportOptions
	}{
		{"report_default.txt", ReportOptions{}},
		{"report_us_z_summarize.txt", ReportOptions{Unit: 1e-6, SkipZero: true, Summarize: true}},
	} {
		var b bytes.Buffer
		if err := Report(&b, sample(), c.o); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", c.name), b.Bytes())
	}
}

// TestReportLayout checks the rules of line_profiler's layout directly.
func TestReportLayout(t *testing.T) {
	var b bytes.Buffer
	Report(&b, sample(), ReportOptions{})
	out := b.String()
	for _, want := range []string{
		"Timer unit: 1e-09 s\nHits: exact.\nTime: made up.\n\nTotal time: 0.593382 s\nFile: /src/distance.go\nFunction: distance at line 3\n\n",
		"Line #      Hits         Time  Per Hit   % Time  Line Contents\n" + strings.Repeat("=", 62) + "\n",
		"     3                                           func distance() Matrix {\n",
		// %5.1f columns, the line contents with tabs expanded to 8.
		"     4         1      98296.0  98296.0      0.0          X := randMatrix(100, 100)\n",
		"     6                                           \n",
		// Per Hit wider than its column falls back to %5.3g; Hits wider
		// than 9 to %g.
		"    14     1e+12  199926555.0      0.0     33.7                                  d += tmp * tmp\n",
		"    13   1000000  298377280.0    298.4     50.3",
		// Time without hits shows no Hits and no Per Hit.
		"    16                 1234.0               0.0  }\n",
		// A function that never ran: only line numbers and contents.
		"Total time: 0 s\nFile: /src/distance.go\nFunction: (*T).never at line 20\n",
		"    21                                                   t.x++\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// Time column fallback: a time wider than 12 characters.
	if got := num(1.5e13, colTime); got != "1.5e+13" {
		t.Errorf("num(1.5e13) = %q", got)
	}
	if got := num(98296, colPerHit); got != "98296.0" {
		t.Errorf("num(98296) = %q", got)
	}
	if got := num(1198296, colPerHit); got != "1.2e+06" {
		t.Errorf("num(1198296) = %q", got)
	}
}

func TestSaveLoadMerge(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.json")
	if err := sample().Save(a); err != nil {
		t.Fatal(err)
	}
	p, err := Load(a)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Merge(p, sample())
	if err != nil {
		t.Fatal(err)
	}
	f := m.Funcs[0]
	if f.Name != "distance" {
		f = m.Funcs[1]
	}
	for _, l := range f.Lines {
		if l.Line == 12 && (l.Hits != 2020000 || l.TimeNS != 2*92883057) {
			t.Errorf("merged line 12 = %+v", l)
		}
	}
	if m.Method[0] != "Merged from 2 profiles: hits and times are sums." {
		t.Errorf("method %q", m.Method)
	}
	b, _ := os.ReadFile(a)
	for _, key := range []string{`"unit": 1e-9`, `"file"`, `"function"`, `"line"`, `"hits"`, `"time_ns"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("saved JSON lacks %s", key)
		}
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"functions":[]}`), 0o666)
	if _, err := Load(bad); err == nil {
		t.Error("Load accepted a file without unit")
	}
}

// Hits wider than their column are Python's %g: 6 significant digits, as
// line_profiler prints them ("1.23457e+10", not Go's shortest form).
func TestReportHitsFallback(t *testing.T) {
	p := &Profile{Unit: 1e-9, Funcs: []*Func{{
		File: "/src/a.go", Name: "f", Line: 1, EndLine: 3,
		Source: []string{"func f() {", "\tx++", "}"},
		Lines:  []Line{{2, 12345678901, 5}},
	}}}
	var b bytes.Buffer
	if err := Report(&b, p, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "     2 1.23457e+10          5.0      0.0    100.0          x++\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, b.String())
	}
}

// A saved file in another unit is converted to nanoseconds, rounded (5 µs
// is 5000 ns, not the 4999 of a truncated 4999.9999...).
func TestLoadOtherUnit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "us.json")
	os.WriteFile(path, []byte(`{"unit":1e-6,"functions":[{"file":"a.go","function":"f","line":1,"end_line":1,"source":["a"],"lines":[{"line":1,"hits":1,"time_ns":5}]}]}`), 0o666)
	p, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Funcs[0].Lines[0].TimeNS; got != 5000 {
		t.Errorf("5 µs loaded as %d ns, want 5000", got)
	}
}
