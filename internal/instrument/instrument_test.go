package instrument

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// subsequence reports whether a's bytes appear in b in order.
func subsequence(a, b string) bool {
	i := 0
	for j := 0; j < len(b) && i < len(a); j++ {
		if a[i] == b[j] {
			i++
		}
	}
	return i == len(a)
}

// TestKeepsPositions instruments every function of the fixtures and checks
// that the result parses, that no line moved (each original line is still
// on its line, only with text inserted), and that each function's counted
// lines lie inside it.
func TestKeepsPositions(t *testing.T) {
	for _, path := range []string{
		"../lprun/testdata/kinds/kinds.go",
		"../../examples/distance/distance.go",
		"../../cmd/speedup/testdata/lprun/golden/golden.go",
	} {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		var decls []*ast.FuncDecl
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				decls = append(decls, fd)
			}
		}
		res, err := File(fset, f, src, decls, "7", Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parser.ParseFile(token.NewFileSet(), path, res.Src, 0); err != nil {
			t.Errorf("%s: instrumented source does not parse: %v", path, err)
		}
		orig := strings.Split(string(src), "\n")
		out := strings.Split(string(res.Src), "\n")
		for i, l := range orig {
			if i >= len(out) || !subsequence(l, out[i]) {
				t.Errorf("%s:%d: line moved or changed:\n%q\n%q", filepath.Base(path), i+1, l, out[min(i, len(out)-1)])
				break
			}
		}
		if len(res.Funcs) != len(decls) {
			t.Errorf("%s: %d functions instrumented, want %d", path, len(res.Funcs), len(decls))
		}
		for _, fn := range res.Funcs {
			for _, s := range fn.Slots {
				if s.Line < fn.Line || s.Line > fn.EndLine || s.Index >= res.NumSlots {
					t.Errorf("%s: slot %+v outside %s (%d-%d)", path, s, fn.Decl.Name.Name, fn.Line, fn.EndLine)
				}
			}
		}
	}
}

// TestCounterPlacement pins the rewriting of each construct on a small
// function.
func TestCounterPlacement(t *testing.T) {
	src := `package p

func f(xs []int, c chan int) int {
	n := 0
	for i := 0; i < len(xs); i++ {
		n++
	}
	for _, x := range xs {
		n += x
	}
	switch {
	case n > 0:
	}
	if n > 1 {
	} else {
	}
	return n
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	res, err := File(fset, f, []byte(src), []*ast.FuncDecl{f.Decls[0].(*ast.FuncDecl)}, "0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Src)
	for _, want := range []string{
		"package p; import _lpatomic_0 \"sync/atomic\"; import _ \"unsafe\"\n",
		"func f(xs []int, c chan int) int { var _lpc [10]uint64; _lpatomic_0.AddInt64(&_lpA_0, 1); defer _lpF_0(0, _lpc[:]); \n",
		"\t_lpc[0]++; n := 0\n",
		"\tfor i := 0; _lpT_0(&_lpc[1]) == true && (i < len(xs)); i++ {\n",
		"\tfor _, x := range _lpR_0(&_lpc[3], xs) { _lpc[3]++; \n",
		"\tswitch _lpT_0(&_lpc[5]) {\n",
		"\tcase n > 0: _lpc[6]++; \n",
		"\tif _lpT_0(&_lpc[7]) == true && (n > 1) {\n",
		"\t} else { _lpc[8]++; \n",
		"\t_lpc[9]++; return n\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("instrumented source lacks %q:\n%s", want, out)
		}
	}
}

// TestActivationFlush: File says which call flushes a function's
// activation (to call it before os.Exit), in both modes, and that call is
// the one deferred at the body's opening brace.
func TestActivationFlush(t *testing.T) {
	src := "package p\n\nfunc main() {\n\tprintln(1)\n}\n\nfunc empty() {}\n"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	decls := []*ast.FuncDecl{f.Decls[0].(*ast.FuncDecl), f.Decls[1].(*ast.FuncDecl)}
	for exact, want := range map[bool]string{false: "_lpF_0(0, _lpc[:])", true: "_lpExit_0(0, _lpx)"} {
		res, err := File(fset, f, []byte(src), decls, "0", Options{ExactTime: exact})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Funcs[0].Flush; got != want {
			t.Errorf("exact %v: Flush = %q, want %q", exact, got, want)
		}
		if !strings.Contains(string(res.Src), "defer "+want+";") {
			t.Errorf("exact %v: %q is not deferred:\n%s", exact, want, res.Src)
		}
		if got := res.Funcs[1].Flush; got != "" {
			t.Errorf("exact %v: empty function's Flush = %q, want none", exact, got)
		}
	}
}
