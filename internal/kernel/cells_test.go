package kernel

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestSplitCell(t *testing.T) {
	src := `import "math"

// distance is documented.
func distance(a, b []float64) float64 {
	d := 0.0
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
	}
	return math.Sqrt(d)
}

type T struct{ x int }

func (t *T) Inc() { t.x++ }

X := []float64{1, 2}
f := func() int { return 1 }
func() { X[0] = 3 }()
var v, w = 1, 2
const c = 3
distance(X, X)`
	c, err := ParseCell(1, src)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, d := range c.Decls {
		keys = append(keys, d.Key)
	}
	want := []string{"import:math", "distance", "T", "T.Inc", "v", "w", "c"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("decl keys = %v, want %v", keys, want)
	}
	if !reflect.DeepEqual(c.Defines, []string{"X", "f"}) {
		t.Errorf("defines = %v", c.Defines)
	}
	if got := strings.TrimSpace(src[c.LastStart:c.LastEnd]); got != "distance(X, X)" {
		t.Errorf("last expression %q", got)
	}
	// Statements keep their lines and columns; declarations are blanked.
	lines := strings.Split(c.Stmts, "\n")
	if lines[15] != "X := []float64{1, 2}" || strings.TrimSpace(lines[3]) != "" {
		t.Errorf("statement text misplaced:\n%s", c.Stmts)
	}
	if strings.Count(c.Stmts, "\n") != strings.Count(src, "\n") {
		t.Error("statement text changed the line count")
	}
	if c.Mentions["X"] || !c.Mentions["distance"] || c.Mentions["Inc"] { // X is the cell's own
		t.Errorf("mentions = %v", c.Mentions)
	}
}

func TestSplitDeclOnly(t *testing.T) {
	c, err := ParseCell(2, "func f() {}\n\ntype S = int\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.HasStmts() || len(c.Decls) != 2 {
		t.Errorf("HasStmts=%v decls=%d", c.HasStmts(), len(c.Decls))
	}
}

func TestParseCellErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"x := 1\ny := (2", "cell7:"},
		{"func f() {\n\treturn 1 +\n}", "cell7:3:1"},
		{"x := )", "cell7:1:6"},
		{"\"abc", "cell7:1:1"},
	} {
		_, err := ParseCell(7, tc.src)
		var ce *CellError
		if !errors.As(err, &ce) || ce.Name != "SyntaxError" || !strings.HasPrefix(ce.Value, tc.want) {
			t.Errorf("%q: got %v, want a SyntaxError at %s", tc.src, err, tc.want)
		}
	}
}

func TestIsComplete(t *testing.T) {
	for src, want := range map[string]string{
		"x := 1":                 "complete",
		"func f() {":             "incomplete",
		"for i := range 3 {\n\t": "incomplete",
		"x := (1 +":              "incomplete",
		"}":                      "invalid",
		"%timeit f()":            "complete",
		"s := `raw":              "incomplete",
	} {
		if got, _ := IsComplete(src); got != want {
			t.Errorf("IsComplete(%q) = %s, want %s", src, got, want)
		}
	}
	if _, indent := IsComplete("func f() {"); indent != "\t" {
		t.Errorf("indent %q", indent)
	}
}

func mustCell(t *testing.T, n int, src string) *Cell {
	t.Helper()
	c, err := ParseCell(n, src)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDeclMap(t *testing.T) {
	m := NewDeclMap()
	m.Add(mustCell(t, 1, "func f() int { return 1 }\nvar a, b = 1, 2\ntype T int"))
	m.Add(mustCell(t, 2, "func f() int { return 2 }\nvar b = 3"))
	if d := m.Get("f"); d == nil || d.Cell != 2 {
		t.Errorf("f not replaced by cell 2: %+v", d)
	}
	// Redefining b drops the whole group "var a, b".
	if m.Get("a") != nil {
		t.Error("a should be gone with its group")
	}
	if d := m.Get("T"); d == nil || d.Cell != 1 {
		t.Error("T lost")
	}
	cells := m.Cells()
	if len(cells[1]) != 1 || len(cells[2]) != 2 {
		t.Errorf("cells = %v", cells)
	}
	// A clone is independent: a cell that fails to compile is never added.
	c := m.Clone()
	c.Add(mustCell(t, 3, "type T string"))
	if m.Get("T").Cell != 1 {
		t.Error("clone changed the original")
	}
	if !m.Remove("T") || m.Remove("T") {
		t.Error("Remove")
	}
	if got := m.Keys(); !reflect.DeepEqual(got, []string{"f", "b"}) {
		t.Errorf("keys %v", got)
	}
}

func names(cs []*Cell) []int {
	var out []int
	for _, c := range cs {
		out = append(out, c.N)
	}
	sort.Ints(out)
	return out
}

func TestRerun(t *testing.T) {
	h := []*Cell{
		mustCell(t, 1, "X := randMatrix(100, 100)"),
		mustCell(t, 2, `fmt.Println("unrelated")`),
		mustCell(t, 3, "n := len(X)"),
		mustCell(t, 4, "Y := scale(X, 2)"),
		mustCell(t, 5, "X = append(X, nil)"),
		mustCell(t, 6, "Z := 1"),
		mustCell(t, 7, "X := 5"),
	}
	for _, tc := range []struct {
		src  string
		hist int
		want []int
	}{
		{"fmt.Println(Y)", 5, []int{1, 4}},         // Y's definer, and X as it was when Y was made
		{"Y", 4, []int{1, 4}},                      // only the history before the cell
		{"Z + 1", 7, []int{6}},                     // nothing else
		{"fmt.Println(X)", 7, []int{7}},            // the latest definition wins
		{"strings.Repeat(\"a\", 3)", 7, nil},       // no variable
		{"func() { _ = Z }()", 7, []int{6}},        // uses inside literals count
		{"X = append(X, Y...)", 7, []int{1, 4, 7}}, // cell 7 redefined X, Y needs cell 1's X
		{"n", 5, []int{1, 3}},
		{"X := 2\nfmt.Println(X)", 7, nil},                // the cell's own X
		{"X := X + 1\nfmt.Println(X)", 5, []int{1, 4, 5}}, // the earlier X, then its own
		{"fmt.Println(X)", 6, []int{1, 4, 5}},             // 4 and 5 may have changed X (a call with it, an assignment); 3 only read it
	} {
		c := mustCell(t, 99, tc.src)
		if got := names(Rerun(h[:tc.hist], c)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q with %d cells: rerun %v, want %v", tc.src, tc.hist, got, tc.want)
		}
	}
}

func TestTouches(t *testing.T) {
	c := mustCell(t, 1, `a[0] = 1
b.f++
fill(c)
d.Reset()
e <- 1
p := &f
_ = len(g)
h := i + 1
for j = range k {}
fmt.Println(l[2])`)
	var got []string
	for n := range c.Touches {
		got = append(got, n)
	}
	sort.Strings(got)
	want := []string{"_", "b", "c", "d", "e", "f", "fmt", "j", "l", "a"}
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("touches = %v, want %v", got, want)
	}
	plan := RerunPlan([]*Cell{mustCell(t, 1, "X := 1"), mustCell(t, 2, "Y := 2\nfill(&X)")}, mustCell(t, 3, "X"))
	if len(plan) != 2 || !plan[0].Defines || plan[1].Defines {
		t.Errorf("plan = %+v", plan)
	}
}

func FuzzParseCell(f *testing.F) {
	f.Add("x := 1\nfunc f() {}\nf()")
	f.Add("func (t T) M() {}\ntype T int")
	f.Add("%timeit x")
	f.Fuzz(func(t *testing.T, src string) {
		c, err := ParseCell(1, src)
		if err == nil && c.HasStmts() && strings.Count(c.Stmts, "\n") != strings.Count(src, "\n") {
			t.Errorf("line count changed")
		}
		IsComplete(src)
	})
}
