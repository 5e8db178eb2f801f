package timeit

import (
	"bufio"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readGolden returns the tab-separated fields of each non-comment line.
func readGolden(t *testing.T, name string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s has no cases", name)
	}
	return rows
}

// TestFormatTimeIPython compares FormatTime with IPython's _format_time on
// the values of testdata/format_time.golden, which IPython itself wrote
// (see testdata/ipython_golden.py).
func TestFormatTimeIPython(t *testing.T) {
	for _, row := range readGolden(t, "format_time.golden") {
		v, err := strconv.ParseFloat(row[0], 64)
		if err != nil {
			t.Fatal(err)
		}
		prec, _ := strconv.Atoi(row[1])
		if got := FormatTime(v, prec); got != row[2] {
			t.Errorf("FormatTime(%s, %d) = %q, IPython says %q", row[0], prec, got, row[2])
		}
	}
}

// TestLinesIPython builds a Result from the run times of each case of
// testdata/lines.golden and compares its line and warning with IPython's.
func TestLinesIPython(t *testing.T) {
	for _, row := range readGolden(t, "lines.golden") {
		name, warn, want := row[0], row[4], row[5]
		loops, _ := strconv.Atoi(row[1])
		prec, _ := strconv.Atoi(row[2])
		var samples []Sample
		for _, f := range strings.Split(row[3], ",") {
			ns, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			samples = append(samples, Sample{Loops: loops, Elapsed: time.Duration(ns)})
		}
		r, err := NewResult(samples, prec)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := r.String(); got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
		ws := r.Warnings()
		switch {
		case warn == "-" && len(ws) != 0:
			t.Errorf("%s: unexpected warning %v", name, ws)
		case warn != "-" && (len(ws) != 1 || ws[0].Error() != warn):
			t.Errorf("%s: warnings %v, want %q", name, ws, warn)
		}
	}
}

// TestReferenceLines reproduces the three IPython lines of
// shared/reference/README.md from run times that give their figures.
func TestReferenceLines(t *testing.T) {
	tests := []struct {
		loops int
		runs  []time.Duration
		want  string
	}{
		{1, []time.Duration{1600}, "1.6 µs ± 0 ns per loop (mean ± std. dev. of 1 run, 1 loop each)"},
		{1000, []time.Duration{737710, 766000, 794290}, "766 ns ± 23.1 ns per loop (mean ± std. dev. of 3 runs, 1,000 loops each)"},
		{100000, []time.Duration{1029585000, 1029585000, 1029585000, 1050000000, 1070415000, 1070415000, 1070415000},
			"10.5 µs ± 189 ns per loop (mean ± std. dev. of 7 runs, 100,000 loops each)"},
	}
	for _, tt := range tests {
		var ss []Sample
		for _, d := range tt.runs {
			ss = append(ss, Sample{Loops: tt.loops, Elapsed: d})
		}
		r, err := NewResult(ss, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.String(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}

func TestFormatTimeTable(t *testing.T) {
	tests := []struct {
		s    float64
		prec int
		want string
	}{
		{82.7e-6, 3, "82.7 µs"},
		{1.2e-6, 3, "1.2 µs"},
		{0, 3, "0 ns"},
		{999.7e-9, 3, "1e+03 ns"}, // Python's %g, as IPython prints it
		{1e-3, 3, "1 ms"},
		{0.2, 0, "200 ms"}, // precision 0 means the default 3
		{1.23456789, 5, "1.2346 s"},
		{65.3, 3, "1min 5s"},
		{3600.5, 3, "1h"},
		{2*86400 + 30, 3, "2d 30s"},
		{5.25e-9, 2, "5.2 ns"}, // round half to even on the binary value
	}
	for _, tt := range tests {
		if got := FormatTime(tt.s, tt.prec); got != tt.want {
			t.Errorf("FormatTime(%v, %d) = %q, want %q", tt.s, tt.prec, got, tt.want)
		}
	}
}

func TestFormatG(t *testing.T) {
	// Expected values are Python's "%.*g" % (prec, v).
	tests := []struct {
		v    float64
		prec int
		want string
	}{
		{100, 3, "100"},
		{1000, 3, "1e+03"},
		{999.5, 3, "1e+03"},
		{999.4, 3, "999"},
		{0.0001, 3, "0.0001"},
		{0.00001, 3, "1e-05"},
		{123456, 6, "123456"},
		{1234567, 6, "1.23457e+06"},
		{1.5, 1, "2"},
		{2.5, 1, "2"},
		{0.5, 0, "0.5"},
		{1e100, 3, "1e+100"},
		{-12.5, 2, "-12"},
		{12.0, 10, "12"},
	}
	for _, tt := range tests {
		if got := formatG(tt.v, tt.prec); got != tt.want {
			t.Errorf("formatG(%v, %d) = %q, want %q", tt.v, tt.prec, got, tt.want)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0", 1: "1", 999: "999", 1000: "1,000", 10000: "10,000", 100000: "100,000",
		1000000: "1,000,000", 1000000000: "1,000,000,000", -1234: "-1,234",
	} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCachingWarningIsTyped(t *testing.T) {
	r, err := NewResult([]Sample{{Loops: 1, Elapsed: 2 * time.Microsecond}, {Loops: 1, Elapsed: 20 * time.Microsecond}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	var cw *CachingWarning
	if ws := r.Warnings(); len(ws) != 1 || !errors.As(ws[0], &cw) || math.Abs(cw.Ratio-10) > 1e-9 {
		t.Fatalf("Warnings() = %v, want one CachingWarning with ratio 10", ws)
	}
	if want := "The slowest run took 10.00 times longer than the fastest. This could mean that an intermediate result is being cached."; cw.Error() != want {
		t.Errorf("got %q", cw.Error())
	}
}

func TestNewResultErrors(t *testing.T) {
	for _, ss := range [][]Sample{
		nil,
		{{Loops: 0, Elapsed: 1}},
		{{Loops: 10, Elapsed: 1}, {Loops: 100, Elapsed: 1}},
		{{Loops: 1, Elapsed: -1}},
	} {
		if _, err := NewResult(ss, 3); err == nil {
			t.Errorf("NewResult(%v) succeeded", ss)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("error is not one line: %q", err)
		}
	}
}
