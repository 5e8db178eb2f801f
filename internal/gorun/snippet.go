package gorun

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/imports"

	"github.com/gospeedup/speedup/internal/edit"
)

// Block prepares src, Go statements, to be pasted into a function body as
// the block called name ("stmt", "setup"; it must contain neither a colon
// nor a path separator, nor end in ".go").
//
// A syntax error is returned as a *CompileError positioned in the block
// (name:LINE:COL). The result starts with a /*line name:1:1*/ directive, so
// that the compiler's errors and the runtime's stack frames refer to the
// block's own lines and columns, and ends with "_ = v" for each variable
// declared at the top level of src, so that a variable the snippet only
// declares is not an error. Expression statements that Go would reject as
// unused (x*x, len(s), float64(i)) are assigned to a fresh variable, which
// makes them legal. The result contains no newline-sensitive directive, so
// it may be indented.
func Block(name, src string) (string, error) {
	return block(name, src, modePlain)
}

// KeptBlock is Block for code whose time is measured: the compiler must
// not delete any of its work. Every discarded call result and every value
// assigned to _, at any depth of blocks (function literals aside, whose
// results their callers use), is passed to _speedup_keep, and so is every
// variable at the end of the block that declares it. _speedup_keep, which
// package child's harnesses provide, keeps its argument alive
// (runtime.KeepAlive: a store to a stack slot, no heap escape).
//
// A call with no result, or with several, cannot be an argument of
// _speedup_keep; which calls those are is known only to the type checker,
// so Build asks the compiler: it unwraps the calls the compiler rejects as
// arguments and builds again (see unwrapKeeps).
func KeptBlock(name, src string) (string, error) {
	return block(name, src, modeKeep)
}

type blockMode int

const (
	// modePlain: guards only (Block).
	modePlain blockMode = iota
	// modeLoop: the body of a b.Loop loop (timeit's statement).
	modeLoop
	// modeKeep: everything kept (KeptBlock).
	modeKeep
)

// keepFunc is the keep-alive function of package child.
const keepFunc = "_speedup_keep"

// blockPrefix is what block parses before a snippet: the snippet's line N
// is the file's line N+2.
const blockPrefix = "package p\nfunc _() {\n"

// block is Block in mode m. In modeLoop, src is to be the body of a b.Loop
// loop: if src has a top-level statement with a body of its own (for, if,
// switch, select, a block) or a defer, the whole of src is wrapped in a
// function literal called in place, and kept as KeptBlock keeps; a
// straight-line src stays in the loop body, where the compiler's b.Loop
// pass keeps its results alive. A return, break or continue that would
// leave the loop is a *CompileError (see leavesLoop).
//
// Why: the compiler's b.Loop pass keeps alive the result of every
// assignment and call nested anywhere in the loop body, which pins the
// variables of an inner loop (d += tmp*tmp) to memory, and made the
// tutorial's distance cell run at half the speed of the same code in a
// function. The pass does not enter function literals and runs before
// inlining, so a cell with loops compiles as a function body. Wrapping only
// the compound statements is not enough: the variables they capture are
// then reloaded from the closure at every use (25% slower on distance).
// Inside the function literal nothing keeps the results alive but what
// KeptBlock adds: at the end of each block rather than after each
// assignment, which would pin the variables again.
func block(name, src string, m blockMode) (string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, blockPrefix+src+"\n}\n", parser.SkipObjectResolution)
	if err != nil {
		return "", syntaxError(name, src, fset, f, err)
	}
	body := f.Decls[0].(*ast.FuncDecl).Body
	if len(f.Decls) != 1 {
		// A '}' of the snippet closed the wrapper's body and what follows
		// parsed as declarations ("} ; func _() {"): the snippet is not a
		// block on its own.
		p := fset.Position(body.Rbrace)
		return "", &CompileError{File: name, Line: p.Line - 2, Col: p.Column, Msg: "syntax error: unexpected }, no matching {"}
	}
	if m == modeLoop {
		if err := leavesLoop(fset, name, body); err != nil {
			return "", err
		}
	}
	g := &blockGen{name: name, fset: fset, buf: edit.New([]byte(src)), base: fset.File(f.Pos()).Base() + len(blockPrefix)}
	guards, compound := g.topLevel(body)
	wrap := m == modeLoop && compound
	keep := m == modeKeep || wrap
	if keep {
		g.keepNested(body.List)
	}
	var b strings.Builder
	if wrap {
		b.WriteString("func() {")
	}
	fmt.Fprintf(&b, "/*line %s:1:1*/%s\n", name, g.buf.String())
	for _, v := range guards {
		if keep {
			fmt.Fprintf(&b, "%s(%s)\n", keepFunc, v)
		} else {
			fmt.Fprintf(&b, "_ = %s\n", v)
		}
	}
	if wrap {
		b.WriteString("}()\n")
	}
	return b.String(), nil
}

// blockGen edits a snippet.
type blockGen struct {
	name string
	fset *token.FileSet
	buf  *edit.Buffer
	base int // the file offset of the snippet's first byte, as a Pos
}

func (g *blockGen) off(p token.Pos) int { return int(p) - g.base }

// at returns a /*line*/ directive giving the text that follows the
// position of p in the snippet.
func (g *blockGen) at(p token.Pos) string {
	pos := g.fset.Position(p)
	return fmt.Sprintf("/*line %s:%d:%d*/", g.name, pos.Line-2, pos.Column)
}

// topLevel makes the top-level expression statements that Go would
// reject as unused legal, and returns the variables to guard (those
// declared at the top level) and whether a statement has a body of its own
// or is a defer.
func (g *blockGen) topLevel(body *ast.BlockStmt) (guards []string, compound bool) {
	for i, st := range body.List {
		switch st := st.(type) {
		case *ast.AssignStmt, *ast.DeclStmt:
			guards = append(guards, Declared(st)...)
		case *ast.ForStmt, *ast.RangeStmt, *ast.IfStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt, *ast.BlockStmt:
			compound = true
		case *ast.DeferStmt:
			// A deferred call must run at the end of each loop, as in
			// the function body a cell stands for, and not once all the
			// loops are done: "mu.Lock(); defer mu.Unlock()" would
			// deadlock at the second loop, and a million deferred calls
			// would pile up.
			compound = true
		case *ast.ExprStmt:
			if usedAlone(st.X) {
				continue
			}
			v := fmt.Sprintf("_speedup_%s%d", identPart(g.name), i)
			g.buf.Insert(g.off(st.Pos()), v+" := "+g.at(st.Pos()))
			guards = append(guards, v)
		}
	}
	return guards, compound
}

// Declared returns the variables that a statement declares at its own
// level (a := or a var declaration; "_" is no variable): what a block,
// a snippet or a notebook cell leaves defined after it.
func Declared(st ast.Stmt) []string {
	var out []string
	switch st := st.(type) {
	case *ast.AssignStmt:
		if st.Tok == token.DEFINE {
			for _, l := range st.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name != "_" {
					out = append(out, id.Name)
				}
			}
		}
	case *ast.DeclStmt:
		if gd, ok := st.Decl.(*ast.GenDecl); ok && gd.Tok == token.VAR {
			for _, sp := range gd.Specs {
				for _, id := range sp.(*ast.ValueSpec).Names {
					if id.Name != "_" {
						out = append(out, id.Name)
					}
				}
			}
		}
	}
	return out
}

// keepNested keeps the discarded results of list, a statement list, and
// of the blocks nested in it: calls whose result is dropped, values
// assigned to _, and, at the end of each nested block, the variables it
// declares. In function literals with results, where a statement added at
// the end of a block could end its being a terminating statement ("missing
// return"), only the calls and the values assigned to _ are kept.
func (g *blockGen) keepNested(list []ast.Stmt) {
	// The keeps at the ends of blocks are inserted last, so that they
	// follow a wrapped call ending at the same offset.
	var ends []func()
	for _, st := range list {
		g.keepIn(st, false, &ends)
	}
	for _, f := range ends {
		f()
	}
}

// keepIn is keepNested for the node n; results says that n is in a
// function literal with results.
func (g *blockGen) keepIn(n ast.Node, results bool, ends *[]func()) {
	ast.Inspect(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			g.keepIn(n.Body, n.Type.Results != nil && len(n.Type.Results.List) > 0, ends)
			return false
		case *ast.ExprStmt:
			if call, ok := ast.Unparen(n.X).(*ast.CallExpr); ok && usedAlone(call) && !voidBuiltin(call) {
				g.wrap(n.X)
			}
		case *ast.AssignStmt:
			if len(n.Lhs) == 1 && len(n.Rhs) == 1 && n.Tok == token.ASSIGN && isBlank(n.Lhs[0]) {
				g.buf.Replace(g.off(n.Lhs[0].Pos()), g.off(n.Rhs[0].Pos()), "")
				g.wrap(n.Rhs[0])
			}
		}
		if results {
			return true
		}
		switch n := n.(type) {
		case *ast.BlockStmt:
			*ends = append(*ends, func() { g.keepDeclared(n.List, n.Rbrace) })
		case *ast.CaseClause:
			*ends = append(*ends, func() { g.keepDeclared(n.Body, n.End()) })
		case *ast.CommClause:
			*ends = append(*ends, func() { g.keepDeclared(n.Body, n.End()) })
		}
		return true
	})
}

// wrap passes the value of x to the keep-alive function; the text of x
// and what follows it keep their positions.
func (g *blockGen) wrap(x ast.Expr) {
	g.buf.Insert(g.off(x.Pos()), keepFunc+"("+g.at(x.Pos()))
	g.buf.Insert(g.off(x.End()), ")"+g.at(x.End()))
}

// keepDeclared keeps the variables declared in list at end, the end of
// its block.
func (g *blockGen) keepDeclared(list []ast.Stmt, end token.Pos) {
	var text string
	for _, st := range list {
		for _, v := range Declared(st) {
			text += "; " + keepFunc + "(" + v + ")"
		}
	}
	if text == "" {
		return
	}
	if n := len(list); n > 0 {
		switch last := list[n-1].(type) {
		case *ast.BranchStmt, *ast.ReturnStmt:
			// Before the statement that leaves the block (fallthrough
			// must stay a clause's last statement; after a break the
			// keep would never run).
			g.buf.Insert(g.off(last.Pos()), text[2:]+";"+g.at(last.Pos()))
			return
		}
	}
	g.buf.Insert(g.off(end), text+";"+g.at(end))
}

// voidBuiltin reports whether call is of a builtin function without a
// result (which would cost KeptBlock's build a second round).
func voidBuiltin(call *ast.CallExpr) bool {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return false
	}
	switch id.Name {
	case "panic", "print", "println", "close", "delete", "clear":
		return true
	}
	return false
}

func isBlank(x ast.Expr) bool {
	id, ok := x.(*ast.Ident)
	return ok && id.Name == "_"
}

// usedAlone reports whether x may stand alone as a statement: calls of
// functions (not of builtins that compute a value, nor conversions to the
// basic types or composite type literals) and receives.
func usedAlone(x ast.Expr) bool {
	switch x := ast.Unparen(x).(type) {
	case *ast.UnaryExpr:
		return x.Op == token.ARROW
	case *ast.CallExpr:
		switch fn := ast.Unparen(x.Fun).(type) {
		case *ast.Ident:
			switch fn.Name {
			case "len", "cap", "append", "complex", "real", "imag", "min", "max", "new", "make",
				"bool", "string", "int", "int8", "int16", "int32", "int64",
				"uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "byte", "rune",
				"float32", "float64", "complex64", "complex128", "any":
				return false
			}
			return true
		case *ast.ArrayType, *ast.MapType, *ast.ChanType, *ast.FuncType, *ast.InterfaceType, *ast.StructType, *ast.StarExpr:
			return false
		}
		return true
	}
	return false
}

func identPart(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// leavesLoop returns a *CompileError for the first statement of body (the
// parsed snippet) that would
// leave the timing loop it is pasted into: a return outside any function
// literal, or a break or continue without a label that no loop, switch or
// select of the snippet encloses. Go accepts them there (the loop is
// speedup's), and they would end the benchmark early or skip the rest of
// the statement; Python's timeit rejects them as syntax errors. A labelled
// break or continue names a label, which must then be the snippet's own.
func leavesLoop(fset *token.FileSet, name string, body *ast.BlockStmt) error {
	var stack []ast.Node
	var bad ast.Node
	var msg string
	ast.Inspect(body, func(n ast.Node) bool {
		if bad != nil {
			return false
		}
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		switch n := n.(type) {
		case *ast.FuncLit:
			stack = stack[:len(stack)-1] // its statements are its own
			return false
		case *ast.ReturnStmt:
			bad, msg = n, "return is not allowed in a snippet: it would end the timing function early"
		case *ast.BranchStmt:
			if n.Label != nil || (n.Tok != token.BREAK && n.Tok != token.CONTINUE) {
				break
			}
			for i := len(stack) - 2; i >= 0; i-- {
				switch stack[i].(type) {
				case *ast.ForStmt, *ast.RangeStmt:
					return true
				case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
					if n.Tok == token.BREAK {
						return true
					}
				}
			}
			bad, msg = n, "break is not in a loop, switch, or select"
			if n.Tok == token.CONTINUE {
				msg = "continue is not in a loop"
			}
		}
		return true
	})
	if bad == nil {
		return nil
	}
	pos := fset.Position(bad.Pos())
	return &CompileError{File: name, Line: pos.Line - 2, Col: pos.Column, Msg: msg}
}

// checkSetup applies leavesLoop to the setup, which runs in the timing
// function before the loop: a return there would end the run before any
// loop, and a stray break or continue fails to compile anyway.
func checkSetup(src string) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "setup", blockPrefix+src+"\n}\n", parser.SkipObjectResolution)
	if err != nil {
		return nil // block has reported it
	}
	return leavesLoop(fset, "setup", f.Decls[0].(*ast.FuncDecl).Body)
}

// syntaxError maps a parse error of the wrapped block back to the block;
// f is the partial file the parser returned.
func syntaxError(name, src string, fset *token.FileSet, f *ast.File, err error) error {
	list, ok := err.(scanner.ErrorList)
	if !ok || len(list) == 0 {
		return &CompileError{File: name, Msg: err.Error()}
	}
	lines := strings.Count(src, "\n") + 1
	e := list[0]
	line, col := e.Pos.Line-2, e.Pos.Column
	msg := e.Msg
	if line > lines {
		// Errors at the end of the input land on the closing brace we
		// added, or on the end of the file after it: for the user both
		// are the end of the snippet.
		line, col = lines, len(src)-strings.LastIndex(src, "\n")
		msg = strings.ReplaceAll(msg, "found '}'", "found end of snippet")
	}
	// A '}' of the snippet without its '{' closed the wrapper's function
	// body; the parser then complains about what follows it.
	if strings.HasPrefix(e.Msg, "expected declaration") && f != nil && len(f.Decls) > 0 {
		if fd, ok := f.Decls[0].(*ast.FuncDecl); ok && fd.Body != nil && fd.Body.Rbrace.IsValid() {
			if p := fset.Position(fd.Body.Rbrace); p.Line-2 <= lines {
				line, col, msg = p.Line-2, p.Column, "unexpected }, no matching {"
			}
		}
	}
	if line < 1 {
		line, col = 1, 1
	}
	msg = strings.ReplaceAll(msg, "'EOF'", "end of snippet")
	// Later syntax errors mostly cascade from the first: not counted.
	return &CompileError{File: name, Line: line, Col: col, Msg: "syntax error: " + msg}
}

// AddImports adds to src, a Go file, the imports its code needs
// (golang.org/x/tools/imports, as goimports does), as if src were the file
// filename: the file's directory decides which module's packages are
// candidates, and its sibling files which names are already declared. The
// imports are added in a new import declaration after the package clause
// and the rest of src is left byte for byte, because reformatting would
// shift the columns of the snippets that /*line*/ directives locate.
func AddImports(filename string, src []byte) ([]byte, error) {
	var fixed []byte
	err := withWorkspaceCopy(existingDir(filepath.Dir(filename)), func() (err error) {
		fixed, err = imports.Process(filename, src, &imports.Options{Comments: true, TabIndent: true, TabWidth: 8})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("adding imports: %v", err)
	}
	have, _, err := importSpecs(src)
	if err != nil {
		return nil, err
	}
	want, _, err := importSpecs(fixed)
	if err != nil {
		return nil, err
	}
	var add []string
	for s := range want {
		if !have[s] {
			add = append(add, s)
		}
	}
	if len(add) == 0 {
		return src, nil
	}
	sort.Strings(add)
	_, pkgEnd, _ := importSpecs(src)
	var b bytes.Buffer
	b.Write(src[:pkgEnd])
	b.WriteString("\n\nimport (\n")
	for _, s := range add {
		b.WriteString("\t" + s + "\n")
	}
	b.WriteString(")")
	b.Write(src[pkgEnd:])
	return b.Bytes(), nil
}

// AddUsedImports adds to src, a Go file, those of specs (import specs as a
// Go file spells them: `pairs "example.com/distance"`, `"math/rand/v2"`)
// whose names src uses as qualifiers (X in X.Sel) without importing them.
// goimports cannot guess a renamed import (pairs), nor know which of two
// packages another file chose: the kernel's cells import once for every
// later cell, and the files generated for them get the imports this way.
// Like AddImports it adds one import declaration after the package clause
// and leaves the rest of src byte for byte; src that does not parse is
// returned as it is, for the compiler to report.
func AddUsedImports(src []byte, specs []string) []byte {
	if len(specs) == 0 {
		return src
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.SkipObjectResolution)
	if err != nil {
		return src
	}
	have := map[string]bool{}
	for _, im := range f.Imports {
		name, _, _ := ParseImportSpec(specText(im))
		have[name] = true
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	var add []string
	for _, spec := range specs {
		name, path, ok := ParseImportSpec(spec)
		if ok && used[name] && !have[name] {
			add = append(add, name+" "+strconv.Quote(path))
			have[name] = true
		}
	}
	if len(add) == 0 {
		return src
	}
	sort.Strings(add)
	end := fset.Position(f.Name.End()).Offset
	return []byte(string(src[:end]) + "\n\nimport (\n\t" + strings.Join(add, "\n\t") + "\n)" + string(src[end:]))
}

// specText is an import spec as the file spells it.
func specText(im *ast.ImportSpec) string {
	if im.Name != nil {
		return im.Name.Name + " " + im.Path.Value
	}
	return im.Path.Value
}

// ParseImportSpec splits an import spec as a Go file spells it (`pairs
// "example.com/distance"`, `"math/rand/v2"`) into the name its package is
// used by (the alias, or ImportName of the path) and the path.
func ParseImportSpec(spec string) (name, path string, ok bool) {
	spec = strings.TrimSpace(spec)
	quoted := spec
	if i := strings.IndexAny(spec, "\"`"); i > 0 {
		name, quoted = strings.TrimSpace(spec[:i]), spec[i:]
	}
	path, err := strconv.Unquote(quoted)
	if err != nil || path == "" {
		return "", "", false
	}
	if name == "" {
		name = ImportName(path)
	}
	return name, path, true
}

// ImportName is the name a package is used by when imported without an
// alias: its path's last element, or the one before a major version
// suffix (math/rand/v2 is rand), which is its name by convention.
func ImportName(path string) string {
	parts := strings.Split(path, "/")
	name := parts[len(parts)-1]
	if len(parts) > 1 && len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
		name = parts[len(parts)-2]
	}
	return name
}

// existingDir returns dir, or its nearest existing parent (a snippet
// without -C is named as if in a directory that does not exist).
func existingDir(dir string) string {
	for {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return dir
		}
		dir = parent
	}
}

// importSpecs returns the import specs of src as "name \"path\"" strings,
// and the offset of the end of the package clause.
func importSpecs(src []byte) (map[string]bool, int, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ImportsOnly|parser.SkipObjectResolution)
	if err != nil {
		return nil, 0, err
	}
	specs := map[string]bool{}
	for _, im := range f.Imports {
		s := im.Path.Value
		if im.Name != nil {
			s = im.Name.Name + " " + s
		}
		specs[s] = true
	}
	return specs, fset.Position(f.Name.End()).Offset, nil
}

// Var is a typed variable that a snippet sees, such as a --param value.
type Var struct {
	Name string
	// Type is a Go type: "int", "float64" or "string".
	Type string
}

// VarType returns the Go type for a variable taking all of values (as
// parsed by timeit.ParseParam): int when they are all int, float64 when
// they are all numbers, string when they are all strings.
func VarType(values []any) (string, error) {
	var ints, floats, strs int
	for _, v := range values {
		switch v.(type) {
		case int:
			ints++
		case float64:
			floats++
		case string:
			strs++
		default:
			return "", fmt.Errorf("unsupported value %v of type %T", v, v)
		}
	}
	switch {
	case strs == 0 && floats == 0:
		return "int", nil
	case strs == 0:
		return "float64", nil
	case ints+floats == 0:
		return "string", nil
	}
	return "", fmt.Errorf("values mix numbers and strings")
}

// Snippet is what timeit times: Setup runs before each run, outside the
// timing, and Stmt is the timed statement, run in a b.Loop loop. Both are
// Go statements; Setup's variables and the Params are visible to Stmt.
type Snippet struct {
	// Setup lines are joined as consecutive lines of the block "setup".
	Setup []string
	// Stmt is the block "stmt"; it may span several lines.
	Stmt string
	// Params are declared before the setup, with values sent by the parent
	// with each timing request (Timer.Sample).
	Params []Var
	// Scopes enclose the Params' variables, the setup and the timed loop
	// (see OpenScopes).
	Scopes []Scope
}

// Scope is a named block of statements (a block as Block makes it) that
// encloses what follows it: scopes nest, each in the previous one, and are
// closed after the statement, so that a later scope's variables shadow an
// earlier one's, as a new assignment does in Python. The kernel replays
// the earlier cells a magic needs this way, as it does for a plain cell.
type Scope struct {
	Name, Src string
}

// OpenScopes returns the text that opens scopes, each a block nested in
// the previous one, and the text that closes them all.
func OpenScopes(scopes []Scope) (open, close string, err error) {
	var b strings.Builder
	for _, sc := range scopes {
		blk, err := block(sc.Name, sc.Src, modePlain)
		if err != nil {
			return "", "", err
		}
		b.WriteString("{\n" + blk)
	}
	return b.String(), strings.Repeat("}\n", len(scopes)), nil
}

// TimeitFileName is the name of the generated timing test file.
const TimeitFileName = "zz_speedup_snippet_test.go"

// TimeitFile returns the source of the timing harness for s, an in-package
// test file of package pkgName to be built as filename (an absolute path in
// the package directory; it decides how imports are resolved). Syntax
// errors in the snippet are returned as *CompileError.
func TimeitFile(pkgName, filename string, s Snippet) ([]byte, error) {
	setup, err := block("setup", strings.Join(s.Setup, "\n"), modePlain)
	if err != nil {
		return nil, err
	}
	if err := checkSetup(strings.Join(s.Setup, "\n")); err != nil {
		return nil, err
	}
	stmt, err := block("stmt", s.Stmt, modeLoop)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(s.Stmt) == "" {
		return nil, &CompileError{File: "stmt", Line: 1, Col: 1, Msg: "empty statement"}
	}
	open, closeScopes, err := OpenScopes(s.Scopes)
	if err != nil {
		return nil, err
	}
	var vars, decode, locals strings.Builder
	for i, p := range s.Params {
		if !token.IsIdentifier(p.Name) {
			return nil, fmt.Errorf("parameter name %q is not a Go identifier", p.Name)
		}
		switch p.Type {
		case "int", "float64", "string":
		default:
			return nil, fmt.Errorf("parameter %s: unsupported type %q", p.Name, p.Type)
		}
		fmt.Fprintf(&vars, "var _speedup_p%d %s\n", i, p.Type)
		fmt.Fprintf(&decode, "\t%s: &_speedup_p%d,\n", strconv.Quote(p.Name), i)
		fmt.Fprintf(&locals, "\t%s := _speedup_p%d\n\t_ = %s\n", p.Name, i, p.Name)
	}
	src := fmt.Sprintf(timeitTemplate, pkgName, vars.String(), decode.String(), open+locals.String(), setup, stmt, closeScopes)
	return AddImports(filename, []byte(src))
}

// timeitTemplate is the generated part of the timing harness; the rest is
// package child's timeit.go (see _speedup_timeitMain), which the
// //speedup:harness line brings into the build. Identifiers and import
// names start with _speedup_ so that they clash neither with the user's
// package nor with the snippet's variables.
const timeitTemplate = `// Code generated by speedup timeit. DO NOT EDIT.

package %s

import _speedup_testing "testing"

//speedup:harness timeit

func TestMain(m *_speedup_testing.M) { _speedup_timeitMain() }

%s
var _speedup_params = map[string]any{
%s}

func _speedup_run(_speedup_b *_speedup_testing.B) {
%s
%s
	for _speedup_b.Loop() {
%s
	}
%s}
`

// CheckStmt checks a statement and its setup the way every command
// compiles them, before anything is generated: each must parse as a block
// on its own (no '}' closing the function around it), the statement must
// not be empty, and neither may return from that function, nor break or
// continue out of a loop that is not theirs. Errors are *CompileError
// positioned in the blocks ("stmt:1:1").
func CheckStmt(stmt, setup string) error {
	if _, err := block("setup", setup, modePlain); err != nil {
		return err
	}
	if err := checkSetup(setup); err != nil {
		return err
	}
	if _, err := block("stmt", stmt, modeLoop); err != nil {
		return err
	}
	if strings.TrimSpace(stmt) == "" {
		return &CompileError{File: "stmt", Line: 1, Col: 1, Msg: "empty statement"}
	}
	return nil
}
