package scaling

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gospeedup/speedup/internal/golden"
)

func TestTableGolden(t *testing.T) {
	// Amdahl data with f = 0.05 and T1 = 12.5 ms, some noise on the
	// deviations, measured on a 4-core machine up to P = 8.
	r, err := Analyze([]Measurement{
		{1, 12.5e-3, 0.21e-3},
		{2, 6.5625e-3, 0.11e-3},
		{4, 3.59375e-3, 45e-6},
		{8, 2.109375e-3, 3.2e-6},
	}, 4)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "table.golden"), []byte(r.String()))

	// The edge cases: superlinear and clamped, a nanosecond-scale time.
	r, err = Analyze([]Measurement{{1, 30e-9, 1e-9}, {2, 12e-9, 0}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "table_superlinear.golden"), []byte(r.String()))

	r, err = Analyze([]Measurement{{1, 1.5, 0.01}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "table_single.golden"), []byte(r.String()))
}

func TestFormatCeiling(t *testing.T) {
	for x, want := range map[float64]string{23.31: "23.3", 5: "5", 1: "1", 1250.4: "1250", 123.4: "123"} {
		if got := formatCeiling(x); got != want {
			t.Errorf("formatCeiling(%v) = %q, want %q", x, got, want)
		}
	}
}

func TestPlot(t *testing.T) {
	r, err := Analyze([]Measurement{{1, 10e-3, 1e-4}, {2, 5.5e-3, 1e-4}, {4, 3.25e-3, 1e-4}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"s.svg", "s.png"} {
		path := filepath.Join(dir, name)
		if err := r.WritePlot(path); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(name) {
		case ".svg":
			if !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("Amdahl fit, f = 0.1 (max 10)")) || !bytes.Contains(b, []byte("cores (runtime.NumCPU = 2)")) {
				t.Errorf("%s is not the expected SVG", name)
			}
		case ".png":
			if !bytes.HasPrefix(b, []byte("\x89PNG")) {
				t.Errorf("%s is not a PNG", name)
			}
		}
	}
	// Nothing but the two pictures: the temporary files are gone.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("plot directory holds %d entries, want 2", len(entries))
	}
	if err := r.WritePlot(filepath.Join(dir, "s.pdf")); err == nil || !strings.Contains(err.Error(), ".svg or .png") {
		t.Errorf("WritePlot(.pdf) error %v", err)
	}
	if err := r.WritePlot(filepath.Join(dir, "missing", "s.svg")); err == nil {
		t.Error("WritePlot into a missing directory succeeded")
	}
	// A single point (no fit) still plots.
	r, _ = Analyze([]Measurement{{1, 1, 0}}, 1)
	var buf bytes.Buffer
	if err := r.Plot(&buf, "svg"); err != nil {
		t.Fatal(err)
	}
}
