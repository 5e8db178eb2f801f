package lprun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/lineprof"
)

// pkgInfo is a package holding profiled functions.
type pkgInfo struct {
	ImportPath string
	Name       string
	Dir        string
	GoFiles    []string // absolute paths
	Standard   bool
	Local      bool // the -C package, where the harness lives
	ModuleDir  string
	ModulePath string

	fset  *token.FileSet
	files []*ast.File
	// srcs are the files' sources as both builds compile them: with their
	// line directives disabled (see disableLineDirectives); lineDirs
	// marks the files that had some.
	srcs     map[string][]byte
	lineDirs map[string]bool
	// overlay holds files that are not on disk as the build sees them
	// (Options.Overlay), for the local package.
	overlay map[string][]byte
}

// target is one function to profile.
type target struct {
	pkg     *pkgInfo
	file    string
	decl    *ast.FuncDecl
	display string
}

// parse parses the package's files (once).
func (p *pkgInfo) parse() error {
	if p.fset != nil {
		return nil
	}
	p.fset = token.NewFileSet()
	p.srcs = map[string][]byte{}
	p.lineDirs = map[string]bool{}
	for _, f := range p.GoFiles {
		src, err := p.source(f)
		if err != nil {
			return err
		}
		src, p.lineDirs[f] = disableLineDirectives(src)
		af, err := parser.ParseFile(p.fset, f, src, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("%v", err)
		}
		p.srcs[f] = src
		p.files = append(p.files, af)
	}
	return nil
}

// source returns a file's contents as the build sees them: the overlay's,
// or the file's on disk.
func (p *pkgInfo) source(path string) ([]byte, error) {
	if src, ok := p.overlay[path]; ok && src != nil {
		return src, nil
	}
	return os.ReadFile(path)
}

// sourceLines returns lines from..to (1-based, inclusive) of a file as
// the build sees it, as lineprof.SourceLines does for files on disk.
func (p *pkgInfo) sourceLines(path string, from, to int) []string {
	src, ok := p.overlay[path]
	if !ok || src == nil {
		return lineprof.SourceLines(path, from, to)
	}
	lines := strings.Split(string(src), "\n")
	if from < 1 || from > len(lines) || to < from {
		return nil
	}
	return lines[from-1 : min(to, len(lines))]
}

// funcs lists the package's function declarations with bodies.
func (p *pkgInfo) funcs() []*target {
	var out []*target
	for i, f := range p.files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := declName(fd)
			if !p.Local {
				name = p.Name + "." + name
			}
			out = append(out, &target{pkg: p, file: p.GoFiles[i], decl: fd, display: name})
		}
	}
	return out
}

// recvName returns the receiver's type name and whether it is a pointer.
func recvName(fd *ast.FuncDecl) (string, bool) {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return "", false
	}
	t := fd.Recv.List[0].Type
	ptr := false
	if s, ok := t.(*ast.StarExpr); ok {
		ptr, t = true, s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name, ptr
	}
	return "", ptr
}

// declName is the report's name for a declaration: "F", "(*T).M", "T.M".
func declName(fd *ast.FuncDecl) string {
	r, ptr := recvName(fd)
	return lineprof.FuncName{Recv: r, Ptr: ptr, Name: fd.Name.Name}.Display()
}

// goList describes the packages named by patterns, resolved from dir.
func goList(ctx context.Context, dir string, env []string, tags string, patterns ...string) ([]*pkgInfo, error) {
	args := []string{"list", "-e", "-json=ImportPath,Name,Dir,GoFiles,Standard,Module,Error"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	args = append(args, patterns...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %s", strings.Join(patterns, " "), gorun.GoCommandError(stderr.String()))
	}
	var res []*pkgInfo
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var j struct {
			ImportPath, Name, Dir string
			GoFiles               []string
			Standard              bool
			Module                *struct{ Path, Dir string }
			Error                 *struct{ Err string }
		}
		if err := dec.Decode(&j); err != nil {
			return nil, err
		}
		if j.Error != nil {
			return nil, fmt.Errorf("package %s: %s", j.ImportPath, firstLine(j.Error.Err))
		}
		p := &pkgInfo{ImportPath: j.ImportPath, Name: j.Name, Dir: j.Dir, Standard: j.Standard}
		if j.Module != nil {
			p.ModuleDir, p.ModulePath = j.Module.Dir, j.Module.Path
		}
		for _, f := range j.GoFiles {
			p.GoFiles = append(p.GoFiles, filepath.Join(j.Dir, f))
		}
		res = append(res, p)
	}
	return res, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// resolver finds the functions that -f, -m and //speedup:profile select.
type resolver struct {
	ctx   context.Context
	dir   string // where go list runs
	tags  string
	env   []string
	local *pkgInfo
	// imports are Options.Imports: names of packages besides the local
	// package's imports.
	imports []string
	pkgs    map[string]*pkgInfo // by import path or name as written
}

// pkg returns the package that spec names: a name imported by the local
// package, or an import path.
func (r *resolver) pkg(spec string) (*pkgInfo, error) {
	if p, ok := r.pkgs[spec]; ok {
		return p, nil
	}
	if r.local != nil && spec == r.local.Name {
		// The package at hand, named by its name.
		return r.local, nil
	}
	path := spec
	if r.local != nil && !strings.Contains(spec, "/") {
		// A package name as the local package imports it.
		for _, f := range r.local.files {
			for _, im := range f.Imports {
				if importName(im) == spec {
					path = strings.Trim(im.Path.Value, `"`)
				}
			}
		}
		// Or as the caller's imports name it (the kernel's cells).
		for _, im := range r.imports {
			if name, ip, ok := gorun.ParseImportSpec(im); ok && name == spec && path == spec {
				path = ip
			}
		}
	}
	ps, err := goList(r.ctx, r.dir, r.env, r.tags, path)
	if err != nil {
		return nil, err
	}
	if len(ps) != 1 {
		return nil, fmt.Errorf("%s names %d packages; name one", spec, len(ps))
	}
	p := ps[0]
	if r.local != nil && p.Dir == r.local.Dir {
		p = r.local
	}
	if err := p.parse(); err != nil {
		return nil, err
	}
	r.pkgs[spec] = p
	return p, nil
}

// find returns the declarations of p that n names (all of them for a
// name matching several, which cannot happen in valid Go except for
// methods written T.M and (*T).M loosely).
func find(p *pkgInfo, n lineprof.FuncName) []*target {
	var out []*target
	for _, t := range p.funcs() {
		r, _ := recvName(t.decl)
		if t.decl.Name.Name == n.Name && r == n.Recv && !(n.Recv == "" && t.decl.Recv != nil) {
			out = append(out, t)
		}
	}
	return out
}

// lookup resolves one -f argument. Besides the documented spellings it
// takes pprof's: a function literal's name ("Pipeline.func1") selects the
// function holding it, and a promoted method ("Outer.Do") the method of
// the embedded type.
func (r *resolver) lookup(arg string) ([]*target, error) {
	n, err := lineprof.ParseFuncName(arg)
	if err != nil {
		if outer, ok := closureOf(arg); ok {
			return r.lookupClosure(arg, outer)
		}
		return nil, &InputError{err}
	}
	if n.Ambiguous && r.local != nil {
		m := lineprof.FuncName{Recv: n.Pkg, Name: n.Name}
		if ts := find(r.local, m); len(ts) > 0 {
			return ts, nil
		}
		if ts, err := r.promoted(r.local, n.Pkg, n.Name); err != nil || len(ts) > 0 {
			return ts, err
		}
		if outer, ok := closureOf(arg); ok {
			return r.lookupClosure(arg, outer)
		}
	}
	var p *pkgInfo
	if n.Pkg == "" {
		if r.local == nil {
			return nil, inputErr("function %s: without -C DIR, name functions with their package (pkg.Func)", arg)
		}
		p = r.local
	} else {
		p, err = r.pkg(n.Pkg)
		if err != nil {
			if outer, ok := closureOf(arg); ok {
				return r.lookupClosure(arg, outer)
			}
			if n.Ambiguous {
				return nil, notTypeOrPackage(arg, n, r.local, err)
			}
			return nil, inputErr("function %s: %v", arg, err)
		}
	}
	if ts := find(p, lineprof.FuncName{Recv: n.Recv, Name: n.Name}); len(ts) > 0 {
		return ts, nil
	}
	if n.Recv != "" {
		if ts, err := r.promoted(p, n.Recv, n.Name); err != nil || len(ts) > 0 {
			return ts, err
		}
	}
	if outer, ok := closureOf(arg); ok {
		return r.lookupClosure(arg, outer)
	}
	return nil, unknown(arg, n, p)
}

// unknown builds the error for a function that does not exist, listing
// the package's closest names.
func unknown(arg string, n lineprof.FuncName, p *pkgInfo) error {
	for _, f := range p.files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Body == nil && fd.Name.Name == n.Name {
				if r, _ := recvName(fd); r == n.Recv {
					// It exists, but in assembly (or linknamed): nothing
					// to count its lines in.
					return inputErr("function %s in package %s (%s) has no Go body (it is implemented in assembly): it cannot be profiled", arg, p.Name, p.Dir)
				}
			}
		}
	}
	want := strings.ToLower(n.Display())
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, t := range p.funcs() {
		name := declName(t.decl)
		l := strings.ToLower(name)
		d := editDistance(want, l)
		if strings.Contains(l, strings.ToLower(n.Name)) || strings.Contains(strings.ToLower(n.Name), strings.ToLower(t.decl.Name.Name)) {
			d = min(d, 1)
		}
		if d <= max(2, len(want)/3) {
			cs = append(cs, cand{name, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d || cs[i].d == cs[j].d && cs[i].name < cs[j].name })
	where := "package " + p.Name + " (" + p.Dir + ")"
	if len(cs) == 0 {
		return inputErr("no function %s in %s", arg, where)
	}
	var names []string
	for i, c := range cs {
		if i == 5 {
			break
		}
		q := c.name
		if n.Pkg != "" && !strings.HasPrefix(q, p.Name+".") {
			q = n.Pkg + "." + q
		}
		names = append(names, q)
	}
	return inputErr("no function %s in %s; did you mean %s?", arg, where, strings.Join(names, ", "))
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// directive returns the functions of p marked //speedup:profile.
func directive(p *pkgInfo) []*target {
	var out []*target
	for _, t := range p.funcs() {
		if t.decl.Doc == nil {
			continue
		}
		for _, c := range t.decl.Doc.List {
			if strings.TrimSpace(c.Text) == "//speedup:profile" {
				out = append(out, t)
				break
			}
		}
	}
	return out
}
