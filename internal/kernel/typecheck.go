package kernel

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gospeedup/speedup/internal/gorun"
)

// Completion after "X." asks the type checker what X is: the session's
// declarations (and, with -C, the package's own files) and the statement
// cells X comes from, replayed in nested blocks as a cell program does,
// are type-checked with go/types. Imported packages come from their
// export data, which the go command locates (and builds, when the build
// cache lacks it) once per package per session; the importer keeps each
// package's types, so a completion costs a type check of the cells only.

// probeName is the function holding the replayed statements.
const probeName = "_speedup_probe"

// typeChecker holds what completions reuse within a session.
type typeChecker struct {
	fset   *token.FileSet
	imp    types.Importer
	export map[string]string // import path -> export data file ("" when none)
	dir    string
	env    []string
}

func newTypeChecker(dir string, env []string) *typeChecker {
	tc := &typeChecker{fset: token.NewFileSet(), export: map[string]string{}, dir: dir, env: env}
	tc.imp = importer.ForCompiler(tc.fset, "gc", tc.lookup)
	return tc
}

// lookup opens the export data of path, asking the go command where it is
// on first use.
func (tc *typeChecker) lookup(path string) (io.ReadCloser, error) {
	file, ok := tc.export[path]
	if !ok {
		tc.locate(path)
		file = tc.export[path]
	}
	if file == "" {
		return nil, fmt.Errorf("no export data for %s", path)
	}
	return os.Open(file)
}

// locate records the export data files of path and its dependencies
// (`go list -export -deps`, which builds what the cache lacks).
func (tc *typeChecker) locate(path string) {
	tc.export[path] = ""
	cmd := exec.Command("go", "list", "-e", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}", path)
	cmd.Dir = tc.dir
	cmd.Env = append(os.Environ(), tc.env...)
	out, err := cmd.Output()
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		p, file, ok := strings.Cut(sc.Text(), "\t")
		if ok && file != "" {
			tc.export[p] = file
		}
	}
}

// memberType returns the type of name (a variable or a type) as seen in
// a new cell after the statements of code before its current line: the
// session's declarations and the statement cells that define it are
// type-checked; isType reports that name is a type. It returns nil when
// the checker cannot tell.
func (s *Session) memberType(name, code string) (t types.Type, pkg *types.Package, isType bool) {
	if s.checker == nil {
		s.checker = newTypeChecker(s.pkgDir, s.env)
	}
	tc := s.checker
	probe, cur := s.probeCell(name, code)
	if probe == nil {
		return nil, nil, false
	}
	dm := s.decls.Clone()
	extra := map[int]*Cell{}
	if cur != nil {
		dm.Add(cur)
		extra[cur.N] = cur
	}
	srcs, err := s.declFiles(dm, extra)
	if err != nil {
		return nil, nil, false
	}
	body, err := probeBody(Rerun(s.history, probe), cur, name)
	if err != nil {
		return nil, nil, false
	}
	probePath := filepath.Join(s.pkgDir, "zz_speedup_probe.go")
	psrc, err := s.genFile(probePath, "", body, s.importList(extra))
	if err != nil {
		return nil, nil, false
	}
	srcs[probePath] = []byte(psrc)
	files := s.packageFiles(tc.fset, srcs)
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: tc.imp, Error: func(error) {}, FakeImportC: true}
	pkg, _ = conf.Check(s.pkgName, tc.fset, files, info)
	switch obj := probeObject(files, info, name).(type) {
	case *types.Var:
		return obj.Type(), pkg, false
	case *types.TypeName:
		return obj.Type(), pkg, true
	}
	return nil, nil, false
}

// probeCell parses "_ = name" after the complete lines of code before the
// cursor (the cell being written, when they parse): the probe whose
// needs pick the history cells to replay, and the current cell.
func (s *Session) probeCell(name, code string) (probe, cur *Cell) {
	if i := strings.LastIndexByte(code, '\n'); i >= 0 {
		if c, err := ParseCell(1<<30, code[:i]); err == nil {
			cur = c
			cur.Name = "cellprobe"
		}
	}
	var src string
	if cur != nil {
		src = cur.Src + "\n"
	}
	probe, err := ParseCell(0, src+"_ = "+name)
	if err != nil {
		return nil, nil
	}
	return probe, cur
}

// probeBody is the function that replays reruns, each in a block nested
// in the previous one, then the statements of cur, then uses name.
func probeBody(reruns []*Cell, cur *Cell, name string) (string, error) {
	var b strings.Builder
	b.WriteString("func " + probeName + "() {\n")
	blocks := append([]*Cell(nil), reruns...)
	if cur != nil && cur.HasStmts() {
		blocks = append(blocks, cur)
	}
	for _, r := range blocks {
		blk, err := gorun.Block(r.Name, r.Stmts)
		if err != nil {
			return "", err
		}
		b.WriteString("{\n" + blk)
	}
	b.WriteString("_ = " + name + "\n")
	b.WriteString(strings.Repeat("}\n", len(blocks)+1))
	return b.String(), nil
}

// packageFiles parses the generated sources and, with -C, the package's
// own files (those the generated ones do not replace).
func (s *Session) packageFiles(fset *token.FileSet, srcs map[string][]byte) []*ast.File {
	var files []*ast.File
	paths := make([]string, 0, len(srcs))
	for p := range srcs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if f, err := parser.ParseFile(fset, p, srcs[p], parser.SkipObjectResolution); err == nil {
			files = append(files, f)
		}
	}
	if s.own {
		return files
	}
	bp, err := build.Default.ImportDir(s.pkgDir, 0)
	if err != nil {
		return files
	}
	for _, name := range bp.GoFiles {
		p := filepath.Join(bp.Dir, name)
		if _, ok := srcs[p]; ok {
			continue
		}
		if f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution); err == nil {
			files = append(files, f)
		}
	}
	return files
}

// probeObject returns what name designates in the probe's final "_ = name".
func probeObject(files []*ast.File, info *types.Info, name string) types.Object {
	var found types.Object
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name != probeName {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				as, ok := n.(*ast.AssignStmt)
				if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
					return true
				}
				if l, ok := as.Lhs[0].(*ast.Ident); ok && l.Name == "_" {
					if r, ok := as.Rhs[0].(*ast.Ident); ok && r.Name == name {
						found = info.Uses[r] // the last one is the probe's
					}
				}
				return true
			})
		}
	}
	return found
}

// members returns the fields and methods of t that code in pkg can use
// after "x." for a variable x of type t or, when isType, after "T." (a
// method expression: T's own method set, no fields).
func members(t types.Type, pkg *types.Package, isType bool) []string {
	seen := map[string]bool{}
	var out []string
	add := func(o types.Object) {
		if seen[o.Name()] || (!o.Exported() && o.Pkg() != pkg) {
			return
		}
		// Promoted names are usable only when not ambiguous.
		if obj, _, _ := types.LookupFieldOrMethod(t, true, pkg, o.Name()); obj == nil {
			return
		}
		seen[o.Name()] = true
		out = append(out, o.Name())
	}
	mt := t
	if _, isPtr := t.Underlying().(*types.Pointer); !isPtr && !isType && !types.IsInterface(t) {
		mt = types.NewPointer(t) // an addressable variable has *T's methods
	}
	ms := types.NewMethodSet(mt)
	for i := 0; i < ms.Len(); i++ {
		add(ms.At(i).Obj())
	}
	if !isType {
		addFields(t, add, 0)
	}
	sort.Strings(out)
	return out
}

// addFields adds the fields of a struct type, or of the struct a pointer
// points to, and those promoted from its embedded fields.
func addFields(t types.Type, add func(types.Object), depth int) {
	if depth > 8 {
		return
	}
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return
	}
	for i := 0; i < st.NumFields(); i++ {
		f := st.Field(i)
		add(f)
		if f.Embedded() {
			addFields(f.Type(), add, depth+1)
		}
	}
}
