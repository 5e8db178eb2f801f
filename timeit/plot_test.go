package timeit

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlotSweep(t *testing.T) {
	dir := t.TempDir()
	pts := sweep(t, 2e-9, 1, 1e4, 1e5, 1e6)
	fit, err := FitSweep("n", pts)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"dot.svg", "dot.png", "DOT.SVG"} {
		path := filepath.Join(dir, name)
		if err := PlotSweep(path, "n", pts, &fit); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch strings.ToLower(filepath.Ext(name)) {
		case ".svg":
			for _, want := range []string{"<svg", "time per loop (µs)", "time ~ n^1.00 (R² 1.000)", "mean (bar: fastest to slowest run)"} {
				if !bytes.Contains(b, []byte(want)) {
					t.Errorf("%s does not contain %q", name, want)
				}
			}
		case ".png":
			if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
				t.Errorf("%s is not a PNG", name)
			}
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v", name, fi.Mode())
		}
	}
	// Without a fit, and with a single point (the axes still get a range).
	if err := PlotSweep(filepath.Join(dir, "one.svg"), "n", pts[:1], nil); err != nil {
		t.Fatal(err)
	}
	checkOnlyFiles(t, dir, "DOT.SVG", "dot.png", "dot.svg", "one.svg")
}

func TestPlotSweepErrors(t *testing.T) {
	dir := t.TempDir()
	pts := sweep(t, 1e-9, 1, 10, 100)
	zero := sweep(t, 1e-9, 1, 10, 100)
	zero[1].Result.Samples[0].Elapsed = 0
	negX := sweep(t, 1e-9, 1, 10, 100)
	negX[0].X = -1
	tests := []struct {
		path string
		pts  []SweepPoint
		want string
	}{
		{"plot.pdf", pts, `unsupported file extension ".pdf"; use .svg or .png`},
		{"plot", pts, `unsupported file extension ""`},
		{"plot.svg", nil, "no points"},
		{"plot.svg", zero, "took no measurable time"},
		{"plot.svg", negX, "n=10 is not a positive number"},
		{"plot.svg", []SweepPoint{{Value: 1, X: 1}}, "no result for n=1"},
		{"missing/plot.svg", pts, "no such file or directory"},
	}
	for _, tt := range tests {
		err := PlotSweep(filepath.Join(dir, tt.path), "n", tt.pts, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("PlotSweep(%s): %v, want an error containing %q", tt.path, err, tt.want)
		}
	}
	checkOnlyFiles(t, dir) // nothing written, no temporary left behind
}

func checkOnlyFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("directory holds %v, want %v", got, want)
	}
}

func TestTickLabel(t *testing.T) {
	for v, want := range map[float64]string{
		1: "1", 20: "20", 500: "500", 1000: "1000", 0.02: "0.02", 1e4: "1e4", 2e5: "2e5",
		1e6: "1e6", 5e-4: "5e-4", 1e-9: "1e-9", 3e7: "3e7",
	} {
		if got := tickLabel(v); got != want {
			t.Errorf("tickLabel(%v) = %q, want %q", v, got, want)
		}
	}
	ticks := logTicker{}.Ticks(15, 3000)
	var labels []string
	for _, tk := range ticks {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "20 50 100 200 500 1000 2000" {
		t.Errorf("labels over [15, 3000]: %s", got)
	}
	if n := len(logTicker{}.Ticks(1, 1e6)); n != 6*9+1 {
		t.Errorf("%d ticks over six decades, want 55", n)
	}
}

func TestPlotPoints(t *testing.T) {
	// 1 ns per loop times n, runs at 0.9, 1 and 1.1 of it.
	ps, err := plotPoints("n", sweep(t, 1e-9, 1, 10, 1000))
	if err != nil {
		t.Fatal(err)
	}
	want := []plotPoint{{10, 10e-9, 9e-9, 11e-9}, {1000, 1000e-9, 900e-9, 1100e-9}}
	if len(ps) != len(want) {
		t.Fatalf("plotPoints: %d points, want %d", len(ps), len(want))
	}
	for i, q := range ps {
		w := want[i]
		if q.x != w.x || !near(q.mean, w.mean) || !near(q.best, w.best) || !near(q.worst, w.worst) {
			t.Errorf("point %d = %+v, want %+v", i, q, w)
		}
	}
}

// near reports whether a and b agree to 1e-6 relative: the samples are
// whole nanoseconds.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Abs(b) }
