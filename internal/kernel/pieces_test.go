package kernel

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// parseBody parses statements as a function body.
func parseBody(t *testing.T, stmts string) *ast.BlockStmt {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "x", stmtPrefix+stmts+"\n}\n", 0)
	if err != nil {
		t.Fatal(err)
	}
	return f.Decls[0].(*ast.FuncDecl).Body
}

func identNames(ids []*ast.Ident) []string {
	var out []string
	for _, id := range ids {
		out = append(out, id.Name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestTouchedAndMentionedIdents(t *testing.T) {
	for _, tc := range []struct {
		stmt             string
		touched, mention []string
	}{
		{"X = 1", []string{"X"}, []string{"X"}},
		{"X[i].f = y", []string{"X"}, []string{"X", "i", "y"}},
		{"X.n++", []string{"X"}, []string{"X"}},
		{"c <- v", []string{"c"}, []string{"c", "v"}},
		{"p := &X", []string{"X"}, []string{"X", "p"}},
		{"for k, v = range m {}", []string{"k", "v"}, []string{"k", "m", "v"}},
		{"f(a, b[1])", []string{"a", "b"}, []string{"a", "b", "f"}},
		{"X.Sort()", []string{"X"}, []string{"X"}},
		{"n := len(X) + cap(Y)", nil, []string{"X", "Y", "cap", "len", "n"}},
		{"strings.Fields(s)", []string{"s", "strings"}, []string{"s", "strings"}},
	} {
		st := parseBody(t, tc.stmt).List[0]
		if got := identNames(touchedIdents(st)); !reflect.DeepEqual(got, tc.touched) {
			t.Errorf("touchedIdents(%q) = %v, want %v", tc.stmt, got, tc.touched)
		}
		if got := identNames(mentionedIdents(st)); !reflect.DeepEqual(got, tc.mention) {
			t.Errorf("mentionedIdents(%q) = %v, want %v", tc.stmt, got, tc.mention)
		}
	}
}

func TestDeclaredIdents(t *testing.T) {
	body := parseBody(t, "a, b := 1, 2\nvar c, d int\na = b\nif e := 3; e > 0 {}")
	var got []string
	for id := range declaredIdents(body) {
		got = append(got, id.Name)
	}
	slices.Sort(got)
	if want := []string{"a", "b", "c", "d", "e"}; !reflect.DeepEqual(got, want) {
		t.Errorf("declaredIdents = %v, want %v", got, want)
	}
}

func TestDeclKeys(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want []string
	}{
		{"func f() {}", []string{"f"}},
		{"func (m *Matrix) At() {}", []string{"Matrix.At"}},
		{"func (l List[T]) Len() int { return 0 }", []string{"List.Len"}},
		{"type T int", []string{"T"}},
		{"var a, b = 1, 2", []string{"a", "b"}},
		{"const (x = 1; y = 2)", []string{"x", "y"}},
		{`import "math"`, []string{"import:math"}},
		{`import m2 "math"`, []string{"import:" + importKey(&ast.ImportSpec{Name: ast.NewIdent("m2"), Path: &ast.BasicLit{Value: `"math"`}})}},
	} {
		f, err := parser.ParseFile(token.NewFileSet(), "x", "package p;"+tc.src, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		switch d := f.Decls[0].(type) {
		case *ast.FuncDecl:
			got = []string{funcKey(d)}
		case *ast.GenDecl:
			got = genDeclKeys(d)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("keys of %q = %v, want %v", tc.src, got, tc.want)
		}
	}
}

func TestParseTimeitFlags(t *testing.T) {
	body := "x++"
	for _, tc := range []struct {
		args    string
		body    *string
		want    timeitFlags
		stmt    string
		setup   string
		wantErr string
	}{
		{args: "f(x)", stmt: "f(x)"},
		{args: "-n 10 -r 3 -p 4 -o -q -v f(x)", want: timeitFlags{number: 10, repeat: 3, prec: 4, output: true, quiet: true, verb: true}, stmt: "f(x)"},
		{args: "-n 5 y := 1", body: &body, want: timeitFlags{number: 5}, stmt: "x++", setup: "y := 1"},
		{args: "-n 5", wantErr: "missing statement"},
		{args: "-n ten f()", wantErr: "-n"},
		{args: "--param n=1,2 --param m=3 f(n, m)", wantErr: "one --param at a time"},
	} {
		got, stmt, setup, err := parseTimeitFlags(tc.args, tc.body)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseTimeitFlags(%q): error %v, want one with %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) || stmt != tc.stmt || setup != tc.setup {
			t.Errorf("parseTimeitFlags(%q) = %+v, %q, %q, %v; want %+v, %q, %q", tc.args, got, stmt, setup, err, tc.want, tc.stmt, tc.setup)
		}
	}
	got, _, _, err := parseTimeitFlags("--param n=1e3,1e4 f(n)", nil)
	if err != nil || len(got.params) != 1 || got.params[0].Name != "n" || len(got.params[0].Values) != 2 {
		t.Errorf("--param: %+v %v", got, err)
	}
}

func TestParseLprunFlags(t *testing.T) {
	for _, tc := range []struct {
		args, stmt, wantErr string
		funcs               []string
		maxTime             string
	}{
		{args: "-f distance distance()", stmt: "distance()", funcs: []string{"distance"}, maxTime: "1s"},
		{args: "-f a -f b --max-time 3s a(); b()", stmt: "a(); b()", funcs: []string{"a", "b"}, maxTime: "3s"},
		{args: "f()", wantErr: "name a function"},
		{args: "-f f", wantErr: "missing statement"},
		{args: "-f f --max-time -1s f()", wantErr: "positive duration"},
	} {
		f, stmt, maxTime, err := parseLprunFlags(tc.args)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseLprunFlags(%q): error %v, want one with %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil || stmt != tc.stmt || !reflect.DeepEqual(f["f"], tc.funcs) || maxTime.String() != tc.maxTime {
			t.Errorf("parseLprunFlags(%q) = %v, %q, %v, %v", tc.args, f, stmt, maxTime, err)
		}
	}
}
