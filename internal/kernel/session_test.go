package kernel

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
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
	c := &cellRunner{s: s}
	checkDeclsInPackage(t, c.exec)
	checkVarsAndMagicsInPackage(t, c)
}

// cellRunner executes cells in a session, numbering them as Jupyter does.
type cellRunner struct {
	s *Session
	n int
}

// exec runs one cell and returns its value, its output and its error.
func (c *cellRunner) exec(code string) (map[string]any, string, error) {
	r, v, err := c.record(code)
	return v, r.streams.String(), err
}

// record runs one cell and returns everything it output.
func (c *cellRunner) record(code string) (*recorder, map[string]any, error) {
	c.n++
	var r recorder
	v, err := c.s.Execute(context.Background(), code, c.n, &r)
	return &r, v, err
}

// checkDeclsInPackage: unexported names of the package are usable, a
// cell's declarations persist once it compiles, errors point at cells.
func checkDeclsInPackage(t *testing.T, exec func(string) (map[string]any, string, error)) {
	t.Helper()
	// Unexported names of the package, a cell declaration using them.
	if v, _, err := exec("func rows() int { return len(randMatrix(3, 2)) }\nrows() + len(empty(2, 2))"); err != nil || v["text/plain"] != "5" {
		t.Fatalf("cell 1: %v %v", v, err)
	}
	// A compile error commits nothing; the position is the cell's.
	_, _, err := exec("func rows() string { return 1 }")
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
}

// checkVarsAndMagicsInPackage: a variable kept across cells, used by
// %timeit, %who, completion, inspection and %lprun, then forgotten by %rm.
func checkVarsAndMagicsInPackage(t *testing.T, c *cellRunner) {
	t.Helper()
	s, exec := c.s, c.exec
	var ce *CellError
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
	r, _, err := c.record("%lprun -f Pairwise Pairwise(X)")
	if err != nil {
		t.Fatalf("%%lprun: %v", err)
	}
	if len(r.displays) != 1 || !strings.Contains(r.displays[0]["text/plain"].(string), "Function: Pairwise at line") ||
		!strings.Contains(r.displays[0]["text/html"].(string), "<table") {
		t.Errorf("%%lprun display: %v", r.displays)
	}
	// A function declared in a cell, with -C: its rows are the cell's
	// (lprun_test.go checks the reports line by line).
	r, _, err = c.record("%lprun --max-time 100ms -f rows rows()")
	if err != nil || len(r.displays) != 1 || !strings.Contains(r.displays[0]["text/plain"].(string), "File: cell1\nFunction: rows at line 1\n") {
		t.Errorf("%%lprun of a cell function with -C: %v %v", err, r.displays)
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

// TestCompleteCellTypes: after "X.", completion lists the fields and
// methods of X's type when the type is declared in a cell (go/types over
// the cells), promoted ones included, unexported ones too (the cells are
// the package), for an unnamed struct type, for a type of an imported
// package, and for a variable the cell being written declares.
func TestCompleteCellTypes(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds cell programs")
	}
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &cellRunner{s: s}
	for _, code := range []string{
		"type point struct{ X, Y float64 }\nfunc (p point) Norm() float64 { return p.X*p.X + p.Y*p.Y }\nfunc (p *point) scale(f float64) { p.X *= f; p.Y *= f }",
		"type named struct {\n\tpoint\n\tName string\n}",
		"p := point{3, 4}",
		"n := named{Name: \"a\"}\nanon := struct{ A, B int }{1, 2}\nvar sb strings.Builder",
	} {
		if _, out, err := c.exec(code); err != nil {
			t.Fatalf("%q: %v %s", code, err, out)
		}
	}
	for _, tc := range []struct {
		code string
		want []string
	}{
		{"p.", []string{"Norm", "X", "Y", "scale"}},
		{"p.N", []string{"Norm"}},
		{"x := p.s", []string{"scale"}},
		{"n.", []string{"Name", "Norm", "X", "Y", "point", "scale"}},
		{"anon.", []string{"A", "B"}},
		{"sb.Wr", []string{"Write", "WriteByte", "WriteRune", "WriteString"}},
		{"q := &point{}\nq.", []string{"Norm", "X", "Y", "scale"}},
		{"point.", []string{"Norm"}}, // a method expression: point's own method set
		{"strings.Fie", []string{"Fields", "FieldsFunc", "FieldsFuncSeq", "FieldsSeq"}},
	} {
		t0 := time.Now()
		got, start, end := s.Complete(tc.code, len(tc.code))
		t.Logf("Complete(%q): %v", tc.code, time.Since(t0))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Complete(%q) = %v, want %v", tc.code, got, tc.want)
		}
		if end != len(tc.code) || start > end {
			t.Errorf("Complete(%q): range %d-%d", tc.code, start, end)
		}
	}
	for code, want := range map[string]string{
		"p.scale": "func (*point).scale(f float64)",
		"n.Name":  "field Name string",
		"n.X":     "field X float64",
	} {
		if got, ok := s.Inspect(code, len(code)); !ok || got != want {
			t.Errorf("Inspect(%q) = %q, %v; want %q", code, got, ok, want)
		}
	}
}

// TestMagicRedefinedVariable: two cells a magic needs both declare a; the
// magic sees the state a plain cell sees (the later a, and b of the
// earlier cell), as the setup replays the cells in nested blocks; a
// --param shadows an earlier cell's variable of the same name.
func TestMagicRedefinedVariable(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds cell programs")
	}
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &cellRunner{s: s}
	for _, code := range []string{
		"a := 1\nb := 2\nn := \"not the param\"",
		"a := 10\nc := a + b",
		"func add(x, y int) int {\n\treturn x + y\n}",
	} {
		if _, out, err := c.exec(code); err != nil {
			t.Fatalf("%q: %v %s", code, err, out)
		}
	}
	if v, _, err := c.exec("c + a"); err != nil || v["text/plain"] != "22" {
		t.Fatalf("plain cell: %v %v", v, err)
	}
	for _, code := range []string{
		"%timeit -n 10 -r 2 _ = c + a",
		"%%timeit -n 10 -r 2 if a != 10 || b != 2 || c != 12 { panic(\"wrong state\") }\n_ = c + a",
		"%timeit -n 10 -r 1 --param n=1,2 _ = add(n, c)",
		"%scaling --cpu 1 -n 10 -r 1 _ = add(a, c)",
	} {
		if _, out, err := c.exec(code); err != nil || !strings.Contains(out, "loops each)") && !strings.Contains(out, "Karp-Flatt") {
			t.Errorf("%q: %v\n%s", code, err, out)
		}
	}
	r, _, err := c.record("%lprun -f add add(a, c)")
	if err != nil || len(r.displays) != 1 {
		t.Fatalf("%%lprun: %v %v", err, r.displays)
	}
	if text := r.displays[0]["text/plain"].(string); !strings.Contains(text, "return x + y") || !strings.Contains(text, "File: cell3") {
		t.Errorf("%%lprun report:\n%s", text)
	}
}
