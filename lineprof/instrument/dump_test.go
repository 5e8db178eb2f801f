package instrument

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"testing"
)

func TestDump(t *testing.T) {
	path := os.Getenv("LPDUMP")
	if path == "" {
		t.Skip()
	}
	src, _ := os.ReadFile(path)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var ds []*ast.FuncDecl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok {
			ds = append(ds, fd)
		}
	}
	r, err := File(fset, f, src, ds, "0")
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.Write(r.Src)
}
