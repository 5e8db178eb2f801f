package lprun

import (
	"go/ast"
	"regexp"
	"strings"

	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/lineprof"
)

// Names as pprof and stack traces print them: a function literal is named
// after the function holding it ("Pipeline.func1", nested "Pipeline.func1.2",
// the body of a range over a function iterator "Pipeline-range1"), and a
// promoted method by the type it is called on ("Outer.Do" for the method Do
// of an embedded Inner).

// closureSuffix matches the compiler's suffixes of function literals.
var closureSuffix = regexp.MustCompile(`((\.func\d+)|(-range\d+))(\.\d+|\.func\d+|-range\d+)*$`)

// initIndex matches the compiler's numbering of init functions ("init.0").
var initIndex = regexp.MustCompile(`(^|\.)init\.\d+$`)

// closureOf returns the function holding the function literal that arg
// names in the compiler's spelling, or ok false when arg is no such name.
func closureOf(arg string) (outer string, ok bool) {
	loc := closureSuffix.FindStringIndex(arg)
	if loc == nil || loc[0] == 0 {
		return "", false
	}
	outer = arg[:loc[0]]
	if m := initIndex.FindStringIndex(outer); m != nil {
		outer = outer[:strings.LastIndex(outer, ".")]
	}
	return outer, true
}

// lookupClosure resolves a function literal's compiler name to the function
// holding it: its lines are that function's (docs/lprun.md).
func (r *resolver) lookupClosure(arg, outer string) ([]*target, error) {
	if outer == "glob." || strings.HasSuffix(outer, ".glob.") {
		return nil, inputErr("function %s is a function literal in a package-level variable's initializer, which lprun cannot select: profile the functions it calls, or make it a named function", arg)
	}
	ts, err := r.lookup(outer)
	if err != nil {
		return nil, inputErr("function %s (a function literal of %s): %v", arg, outer, err)
	}
	for _, t := range ts {
		if hasFuncLit(t.decl) {
			return ts, nil
		}
	}
	return nil, inputErr("function %s: %s has no function literal (pprof names a function literal in F as F.func1)", arg, outer)
}

func hasFuncLit(fd *ast.FuncDecl) bool {
	found := false
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		_, ok := n.(*ast.FuncLit)
		found = found || ok
		return !found
	})
	return found
}

// embedded is a type to search for a promoted method.
type embedded struct {
	pkg  *pkgInfo
	name string
}

// promoted finds the method name of type recv of package p that a struct
// type gets from its embedded fields, at the shallowest depth, as the Go
// specification promotes them. It returns nil when there is none.
func (r *resolver) promoted(p *pkgInfo, recv, name string) ([]*target, error) {
	level := []embedded{{p, recv}}
	seen := map[embedded]bool{}
	for depth := 0; depth < 8 && len(level) > 0; depth++ {
		var next []embedded
		var found []*target
		var from []string
		for _, e := range level {
			if seen[e] {
				continue
			}
			seen[e] = true
			st, file := typeSpec(e.pkg, e.name)
			if st == nil {
				continue
			}
			if depth > 0 {
				if ts := find(e.pkg, lineprof.FuncName{Recv: e.name, Name: name}); len(ts) > 0 {
					found = append(found, ts...)
					from = append(from, qualified(e, p))
					continue
				}
				if it, ok := st.Type.(*ast.InterfaceType); ok && hasMethod(it, name) {
					return nil, inputErr("%s.%s is promoted from the embedded interface %s, which has no body to profile: profile the method of the concrete type stored in it", recv, name, qualified(e, p))
				}
			}
			s, ok := st.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, f := range s.Fields.List {
				if len(f.Names) > 0 {
					continue
				}
				if q, ok := r.embeddedType(e.pkg, file, f.Type); ok {
					next = append(next, q)
				}
			}
		}
		switch {
		case len(from) > 1:
			return nil, inputErr("%s.%s is ambiguous: both %s have a method %s at the same depth", recv, name, strings.Join(from, " and "), name)
		case len(found) > 0:
			return found, nil
		}
		level = next
	}
	return nil, nil
}

// qualified names e's type as seen from package p.
func qualified(e embedded, p *pkgInfo) string {
	if e.pkg == p {
		return e.name
	}
	return e.pkg.Name + "." + e.name
}

func hasMethod(it *ast.InterfaceType, name string) bool {
	for _, m := range it.Methods.List {
		for _, n := range m.Names {
			if n.Name == name {
				return true
			}
		}
	}
	return false
}

// typeSpec returns the declaration of type name in p, and its file.
func typeSpec(p *pkgInfo, name string) (*ast.TypeSpec, *ast.File) {
	for _, f := range p.files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range g.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.Name == name {
					return ts, f
				}
			}
		}
	}
	return nil, nil
}

// embeddedType resolves the type of an embedded field declared in file of
// package p: T, *T, pkg.T, T[A] and their pointers.
func (r *resolver) embeddedType(p *pkgInfo, file *ast.File, x ast.Expr) (embedded, bool) {
	for {
		switch t := x.(type) {
		case *ast.StarExpr:
			x = t.X
			continue
		case *ast.IndexExpr:
			x = t.X
			continue
		case *ast.IndexListExpr:
			x = t.X
			continue
		case *ast.Ident:
			return embedded{p, t.Name}, true
		case *ast.SelectorExpr:
			id, ok := t.X.(*ast.Ident)
			if !ok {
				return embedded{}, false
			}
			for _, im := range file.Imports {
				ip := strings.Trim(im.Path.Value, `"`)
				if importName(im) != id.Name {
					continue
				}
				if q, err := r.pkg(ip); err == nil {
					return embedded{q, t.Sel.Name}, true
				}
			}
		}
		return embedded{}, false
	}
}

// notTypeOrPackage explains an "A.B" whose A is neither a type of the
// package at hand nor a package.
func notTypeOrPackage(arg string, n lineprof.FuncName, local *pkgInfo, err error) error {
	if local != nil {
		if ts := find(local, lineprof.FuncName{Name: n.Pkg}); len(ts) > 0 {
			return inputErr("function %s: %s is a function of package %s, not a type or a package: a function literal in it is profiled with it (-f %s), and pprof names the first one %s.func1", arg, n.Pkg, local.Name, n.Pkg, n.Pkg)
		}
		return inputErr("function %s: no type %s in package %s, and no package %s: %v", arg, n.Pkg, local.Name, n.Pkg, err)
	}
	return inputErr("function %s: %v", arg, err)
}

// importName is the name under which an import is used: its alias, or
// its path's (see gorun.ImportName).
func importName(im *ast.ImportSpec) string {
	if im.Name != nil {
		return im.Name.Name
	}
	return gorun.ImportName(strings.Trim(im.Path.Value, `"`))
}
