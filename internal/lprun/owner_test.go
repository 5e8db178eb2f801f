package lprun

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"testing"
)

func TestOwnerLines(t *testing.T) {
	src := `package p

func f(xs []int) int {
	s := g(1,
		2,
		3)
	for i := 0;
		i < len(xs); i++ {
		s += xs[i]
	}
	h := func() {
		s++
	}
	h()
	return s
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := ownerLines(fset, f.Decls[0].(*ast.FuncDecl))
	want := map[int]int{
		5: 4, 6: 4, // the call's arguments
		8:  7,  // the header's second line
		10: 7,  // the loop's closing brace
		13: 11, // the literal's closing brace belongs to the assignment
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ownerLines = %v, want %v", got, want)
	}
}
