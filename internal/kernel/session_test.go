package kernel

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

// recorder is an Output that keeps everything.
type recorder struct {
	streams  strings.Builder
	displays []map[string]any
}

func (r *recorder) Stream(name, text string) { r.streams.WriteString(text) }
func (r *recorder) Display(data, _ map[string]any, _ string, _ bool) {
	r.displays = append(r.displays, data)
}

// TestSessionInPackage runs cells inside examples/distance (-C): its
// unexported names are usable, a cell's declaration joins the package,
// errors point at cells, and %timeit and %lprun work on the package's
// functions. (The Jupyter side is tested in cmd/speedup.)
func TestSessionInPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds several cell programs")
	}
	s, err := NewSession(Options{Dir: "../../examples/distance"})
	if err != nil {
		t.Fatal(err)
	}
	tmp := s.tmp
	defer func() {
		s.Close()
		if _, err := os.Stat(tmp); !os.IsNotExist(err) {
			t.Errorf("session directory %s left behind", tmp)
		}
	}()
	n := 0
	exec := func(code string) (map[string]any, string, error) {
		n++
		var r recorder
		v, err := s.Execute(context.Background(), code, n, &r)
		return v, r.streams.String(), err
	}
	// Unexported names of the package, a cell declaration using them.
	if v, _, err := exec("func rows() int { return len(randMatrix(3, 2)) }\nrows() + len(empty(2, 2))"); err != nil || v["text/plain"] != "5" {
		t.Fatalf("cell 1: %v %v", v, err)
	}
	// A compile error commits nothing; the position is the cell's.
	_, _, err = exec("func rows() string { return 1 }")
	var ce *CellError
	if !errors.As(err, &ce) || ce.Name != "CompileError" || !strings.HasPrefix(ce.Value, "cell2:1:29: ") {
		t.Fatalf("cell 2: %v", err)
	}
	if v, _, err := exec("rows()"); err != nil || v["text/plain"] != "3" {
		t.Fatalf("cell 3 (rows must still be cell 1's): %v %v", v, err)
	}
	// A cell that compiles and then panics keeps its declarations, not
	// its variables.
	_, _, err = exec("func two() int { return 2 }\nlost := 1\npanic(\"after the declaration\")")
	if !errors.As(err, &ce) || ce.Name != "panic" || !strings.HasPrefix(ce.Value, "cell4:3: ") {
		t.Fatalf("cell 4: %v", err)
	}
	if v, _, err := exec("two()"); err != nil || v["text/plain"] != "2" {
		t.Fatalf("cell 5: %v %v", v, err)
	}
	// A variable kept across cells, used by a magic.
	if _, _, err := exec("X := randMatrix(20, 20)"); err != nil {
		t.Fatal(err)
	}
	_, out, err := exec("%timeit -n 10 -r 2 Pairwise(X)")
	if err != nil || !strings.Contains(out, "per loop (mean ± std. dev. of 2 runs, 10 loops each)") {
		t.Fatalf("%%timeit: %q %v", out, err)
	}
	_, out, err = exec("%who")
	if err != nil || !strings.Contains(out, "X distance.Matrix (cell6)") || !strings.Contains(out, "rows (cell1)") {
		t.Errorf("%%who: %q %v", out, err)
	}
	// Completion and inspection know the variable's type.
	if m, _, _ := s.Complete("X.Eq", 4); len(m) != 1 || m[0] != "EqualBits" {
		t.Errorf("complete X.Eq: %v", m)
	}
	if text, ok := s.Inspect("X", 1); !ok || !strings.HasPrefix(text, "X distance.Matrix (a variable of cell6)") {
		t.Errorf("inspect X: %q", text)
	}
	if text, ok := s.Inspect("X.EqualBits", 5); !ok || !strings.Contains(text, "func (m Matrix) EqualBits") {
		t.Errorf("inspect X.EqualBits: %q", text)
	}
	// %lprun on a package function, with the cells' variables as setup.
	var r recorder
	n++
	if _, err := s.Execute(context.Background(), "%lprun -f Pairwise Pairwise(X)", n, &r); err != nil {
		t.Fatalf("%%lprun: %v", err)
	}
	if len(r.displays) != 1 || !strings.Contains(r.displays[0]["text/plain"].(string), "Function: Pairwise at line") ||
		!strings.Contains(r.displays[0]["text/html"].(string), "<table") {
		t.Errorf("%%lprun display: %v", r.displays)
	}
	// A function declared in a cell cannot be profiled with -C: a clear error.
	_, _, err = exec("%lprun -f rows rows()")
	if !errors.As(err, &ce) || !strings.Contains(ce.Value, "declared in a cell") {
		t.Errorf("%%lprun of a cell function with -C: %v", err)
	}
	// %rm forgets.
	if _, _, err := exec("%rm X rows"); err != nil {
		t.Fatal(err)
	}
	_, _, err = exec("len(X)")
	if !errors.As(err, &ce) || !strings.Contains(ce.Value, "undefined: X") {
		t.Errorf("after %%rm X: %v", err)
	}
}
