// Package instrument rewrites Go source files so that the statements of
// chosen functions count how often they run, line by line, exactly.
//
// The rewrite works like cmd/cover: it only inserts text into the original
// source and never adds a newline inside existing code, so every statement
// keeps its line, and compile errors, panics and stack traces still point at
// the user's file:line. The counting code is appended after the file's last
// line.
//
// Each activation of a profiled function (and of each function literal inside
// it) counts into an array local to that activation, which lives on the
// goroutine's stack; a deferred call adds the array into the file's shared
// totals with one atomic add per counted line when the activation ends,
// whether it returns, panics or exits through runtime.Goexit. Counting
// therefore costs one increment of a stack slot per statement, needs no
// synchronisation while the function runs, and is exact under any number of
// goroutines. docs/lprun.md states which statement counts on which line.
package instrument

import (
	_ "embed"
	"fmt"
	"go/ast"
	"go/scanner"
	"go/token"
	"sort"
	"strconv"
	"strings"

	"github.com/gospeedup/speedup/internal/edit"
)

// Func describes one instrumented function.
type Func struct {
	// Decl is the function's declaration in the parsed file.
	Decl *ast.FuncDecl
	// Line and EndLine are the lines of the func keyword and of the
	// closing brace.
	Line, EndLine int
	// Slots lists, for each of the function's counters (indices into the
	// file's counter array), the source line it counts. Several slots can
	// share a line only across function literals; the report adds them.
	Slots []Slot
	// Flush is the call that adds the counts of the current activation of
	// the function (not of its function literals) to the file's totals,
	// valid in its body, or "" when the function has nothing to count.
	// Its deferred call does that when the function ends; os.Exit skips
	// deferred calls, so an exit in the body must call it first.
	Flush string
}

// Slot ties one counter of a file's array to a source line.
type Slot struct {
	Index int // index into the file's counter array
	Line  int
}

// Result is an instrumented file.
type Result struct {
	// Src is the rewritten source.
	Src []byte
	// ID is the suffix of the generated identifiers of this file.
	ID string
	// NumSlots is the length of the file's counter array.
	NumSlots int
	// Funcs are the instrumented functions, in source order.
	Funcs []Func
	// Data, Active and Times name the generated functions that return the
	// file's counter totals (a []uint64), how many activations have not
	// flushed yet (an int64), and with Options.ExactTime the line times in
	// nanoseconds (a []int64). They are exported to the linker with a
	// one-argument //go:linkname directive so that the profiling harness
	// can call them from another package.
	Data, Active, Times string
}

// Options change the instrumentation.
type Options struct {
	// ExactTime also times every line event with the runtime's clock, as
	// line_profiler does (lprun --exact-time): each activation keeps its
	// lines' times next to its counts, and the time of nested activations
	// of the same function (recursion, and closures called in place) is
	// taken out of the calling line, so that nothing counts twice. It
	// costs two clock reads per line event and a goroutine lookup per
	// activation.
	ExactTime bool
}

// File instruments the functions decls of file f, parsed with fset from
// src (with comments). id is a suffix unique within the package for the
// generated identifiers. The functions must belong to f.
func File(fset *token.FileSet, f *ast.File, src []byte, decls []*ast.FuncDecl, id string, o Options) (*Result, error) {
	tf := fset.File(f.Pos())
	if tf == nil {
		return nil, fmt.Errorf("instrument: file not in fileset")
	}
	in := &inst{fset: fset, tf: tf, src: src, buf: edit.New(src), id: id, taken: map[int]bool{}, timed: o.ExactTime}
	res := &Result{ID: id, Data: "_lpD_" + id, Active: "_lpN_" + id}
	if o.ExactTime {
		res.Times = "_lpDT_" + id
	}
	sorted := append([]*ast.FuncDecl(nil), decls...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Pos() < sorted[j].Pos() })
	for _, d := range sorted {
		if d.Body == nil {
			return nil, fmt.Errorf("%s: function %s has no body (implemented in assembly?)", fset.Position(d.Pos()), d.Name.Name)
		}
		in.fn = &Func{Decl: d, Line: in.line(d.Pos()), EndLine: in.line(d.Body.Rbrace)}
		in.fnIndex++
		in.fn.Flush = in.unit(d.Body)
		res.Funcs = append(res.Funcs, *in.fn)
	}
	res.NumSlots = in.nslots
	if in.nslots == 0 {
		// Nothing to count (empty functions): keep a one-element array so
		// that the harness can still link the data function.
		in.nslots = 1
	}
	// The imports go on the package clause's line, so that no line moves.
	imports := `; import _lpatomic_` + id + ` "sync/atomic"; import _ "unsafe"`
	if in.timed {
		imports += `; import _lpruntime_` + id + ` "runtime"; import _lpsync_` + id + ` "sync"`
	}
	in.insert(tf.Offset(f.Name.End()), imports)
	out := in.buf.Bytes()
	out = append(out, in.footer()...)
	res.Src = out
	return res, nil
}

type inst struct {
	fset    *token.FileSet
	tf      *token.File
	src     []byte
	id      string
	buf     *edit.Buffer // the insertions into src
	nslots  int
	taken   map[int]bool // lines that already have a counter
	fn      *Func
	fnIndex int
	timed   bool
	cur     *unitState
	// litQueue holds, per unit being processed, the function literals
	// found in it, instrumented as their own units afterwards so that each
	// unit's counters stay contiguous.
	litQueue [][]*ast.FuncLit
}

type unitState struct {
	base, n int
}

func (in *inst) line(p token.Pos) int { return in.tf.Line(p) }
func (in *inst) off(p token.Pos) int  { return in.tf.Offset(p) }

func (in *inst) insert(off int, text string) {
	in.buf.Insert(off, text)
}

// slot returns the counter index for the statement beginning at p, or -1
// when its line already has a counter (only the first statement beginning
// on a line counts).
func (in *inst) slot(p token.Pos) int {
	l := in.line(p)
	if in.taken[l] {
		return -1
	}
	in.taken[l] = true
	u := in.cur
	idx := u.base + u.n
	u.n++
	in.fn.Slots = append(in.fn.Slots, Slot{Index: idx, Line: l})
	return idx
}

// ctr is the expression naming counter idx of the current activation.
func (in *inst) ctr(idx int) string {
	return "_lpc[" + strconv.Itoa(idx-in.cur.base) + "]"
}

func (in *inst) inc(idx int) string {
	if in.timed {
		return "_lpK_" + in.id + "(_lpx, " + strconv.Itoa(idx-in.cur.base) + "); "
	}
	return in.ctr(idx) + "++; "
}

// cond is a call that counts idx and returns true.
func (in *inst) cond(idx int) string {
	if in.timed {
		return "_lpKT_" + in.id + "(_lpx, " + strconv.Itoa(idx-in.cur.base) + ")"
	}
	return "_lpT_" + in.id + "(&" + in.ctr(idx) + ")"
}

// unit instruments a function body as one activation: its own local
// counters and deferred flush, whose call it returns ("" when the body has
// nothing to count). Function literals inside become their own units.
func (in *inst) unit(body *ast.BlockStmt) string {
	outer := in.cur
	// Slots of a unit must be contiguous: reserve them as they come, and
	// nested units take theirs after this one is finished. To keep indices
	// contiguous we process the unit first into a fresh range, deferring
	// nested literals until the unit is done.
	u := &unitState{base: in.nslots}
	in.cur = u
	in.litQueue = append(in.litQueue, nil)
	depth := len(in.litQueue) - 1
	in.stmts(body.List)
	lits := in.litQueue[depth]
	in.litQueue = in.litQueue[:depth]
	in.nslots = u.base + u.n
	n, base := u.n, u.base
	id, fn := in.id, in.fnIndex
	flush := fmt.Sprintf("_lpF_%s(%d, _lpc[:])", id, base)
	prologue := fmt.Sprintf(" var _lpc [%d]uint64; _lpatomic_%s.AddInt64(&_lpA_%s, 1); defer %s; ", n, id, id, flush)
	if in.timed {
		flush = fmt.Sprintf("_lpExit_%s(%d, _lpx)", id, base)
		prologue = fmt.Sprintf(" var _lpc [%d]uint64; var _lpt [%d]int64; _lpx := _lpEnter_%s(%d, _lpc[:], _lpt[:]); defer %s; ", n, n, id, fn, flush)
	}
	if n == 0 {
		flush, prologue = "", ""
	}
	in.insert(in.off(body.Lbrace)+1, prologue)
	for _, l := range lits {
		in.unit(l.Body)
	}
	in.cur = outer
	return flush
}

func (in *inst) stmts(list []ast.Stmt) {
	for _, s := range list {
		in.stmt(s, nil)
	}
}

// exprs queues the function literals found in the nodes for their own units.
func (in *inst) exprs(nodes ...ast.Node) {
	for _, n := range nodes {
		if n == nil || isNil(n) {
			continue
		}
		ast.Inspect(n, func(x ast.Node) bool {
			if fl, ok := x.(*ast.FuncLit); ok {
				q := len(in.litQueue) - 1
				in.litQueue[q] = append(in.litQueue[q], fl)
				return false
			}
			return true
		})
	}
}

func isNil(n ast.Node) bool {
	switch v := n.(type) {
	case ast.Expr:
		return v == nil
	case ast.Stmt:
		return v == nil
	}
	return false
}

// wrapBool makes the boolean expression e count into idx each time it is
// evaluated.
// The comparison with true makes the counting operand an untyped boolean,
// which takes the type of e: a condition of a named boolean type (type B
// bool) still compiles.
func (in *inst) wrapBool(e ast.Expr, idx int) {
	in.insert(in.off(e.Pos()), in.cond(idx)+" == true && (")
	in.insert(in.off(e.End()), ")")
}

// wrapValue makes the expression e count into idx each time it is evaluated,
// keeping its type.
func (in *inst) wrapValue(e ast.Expr, idx int) {
	if in.timed {
		in.insert(in.off(e.Pos()), "_lpRT_"+in.id+"(_lpx, "+strconv.Itoa(idx-in.cur.base)+", ")
	} else {
		in.insert(in.off(e.Pos()), "_lpR_"+in.id+"(&"+in.ctr(idx)+", ")
	}
	in.insert(in.off(e.End()), ")")
}

// semicolonAfter returns the offset just after the first ';' token at or
// after offset from (an explicit one: the header of a for or switch).
func (in *inst) semicolonAfter(from int) int {
	var s scanner.Scanner
	fs := token.NewFileSet()
	f := fs.AddFile("", -1, len(in.src)-from)
	s.Init(f, in.src[from:], nil, 0)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			return -1
		}
		if tok == token.SEMICOLON && lit == ";" {
			return from + f.Offset(pos) + 1
		}
	}
}

func (in *inst) stmt(s ast.Stmt, label *ast.LabeledStmt) {
	// where a plain counter for s goes: before its label if it has one.
	before := s.Pos()
	if label != nil {
		before = label.Pos()
	}
	switch s := s.(type) {
	case *ast.EmptyStmt:
		return
	case *ast.LabeledStmt:
		switch inner := s.Stmt.(type) {
		case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.IfStmt, *ast.SelectStmt:
			in.stmt(inner, s)
		case *ast.EmptyStmt:
		default:
			// The counter goes after the label: goto lands on it, and no
			// break or continue can name a label of such a statement.
			in.stmt(inner, nil)
		}
		return
	case *ast.BlockStmt:
		in.stmts(s.List)
		return
	case *ast.IfStmt:
		idx := in.slot(s.Pos())
		if idx >= 0 {
			in.wrapBool(s.Cond, idx)
		}
		in.exprs(s.Init, s.Cond)
		in.stmts(s.Body.List)
		switch e := s.Else.(type) {
		case *ast.IfStmt:
			in.stmt(e, nil)
		case *ast.BlockStmt:
			if k := in.slot(e.Lbrace); k >= 0 {
				in.insert(in.off(e.Lbrace)+1, " "+in.inc(k))
			}
			in.stmts(e.List)
		}
		return
	case *ast.ForStmt:
		idx := in.slot(s.Pos())
		if idx >= 0 {
			if s.Cond != nil {
				in.wrapBool(s.Cond, idx)
			} else {
				// Each iteration counts at the start of the body: a
				// condition would make the loop no longer a terminating
				// statement ("missing return" after "for { ... }").
				in.insert(in.off(s.Body.Lbrace)+1, " "+in.inc(idx))
			}
		}
		in.exprs(s.Init, s.Cond, s.Post)
		in.stmts(s.Body.List)
		return
	case *ast.RangeStmt:
		idx := in.slot(s.Pos())
		if idx >= 0 {
			// n iterations + 1 final step per entry: the range expression
			// counts the entry (it is evaluated once per entry), the body
			// each iteration.
			if isConstLike(s.X) {
				in.insert(in.off(before), in.inc(idx))
			} else {
				in.wrapValue(s.X, idx)
			}
			in.insert(in.off(s.Body.Lbrace)+1, " "+in.inc(idx))
		}
		in.exprs(s.Key, s.Value, s.X)
		in.stmts(s.Body.List)
		return
	case *ast.SwitchStmt:
		idx := in.slot(s.Pos())
		if idx >= 0 {
			switch {
			case s.Tag == nil && s.Init == nil:
				in.insert(in.off(s.Switch)+6, " "+in.cond(idx))
			case s.Tag == nil:
				in.insert(in.semicolonAfter(in.off(s.Init.End())), " "+in.cond(idx))
			case isConstLike(s.Tag):
				in.insert(in.off(before), in.inc(idx))
			default:
				in.wrapValue(s.Tag, idx)
			}
		}
		in.exprs(s.Init, s.Tag)
		in.clauses(s.Body)
		return
	case *ast.TypeSwitchStmt:
		idx := in.slot(s.Pos())
		var x ast.Expr
		switch a := s.Assign.(type) {
		case *ast.AssignStmt:
			x = a.Rhs[0].(*ast.TypeAssertExpr).X
		case *ast.ExprStmt:
			x = a.X.(*ast.TypeAssertExpr).X
		}
		if idx >= 0 {
			in.wrapValue(x, idx)
		}
		in.exprs(s.Init, x)
		in.clauses(s.Body)
		return
	case *ast.SelectStmt:
		idx := in.slot(s.Pos())
		if idx >= 0 {
			if label != nil {
				// A select has no expression to count in, and its label
				// must stay on it for "break L" while goto L must count:
				// a one-case switch takes the label (break L still leaves
				// the select, unlabeled continue still reaches the loop).
				in.insert(in.off(s.Pos()), "switch { default: "+in.inc(idx))
				in.insert(in.off(s.End()), " }")
			} else {
				in.insert(in.off(s.Pos()), in.inc(idx))
			}
		}
		in.clauses(s.Body)
		return
	}
	// Every other statement counts where it begins.
	if idx := in.slot(s.Pos()); idx >= 0 {
		in.insert(in.off(before), in.inc(idx))
	}
	in.exprs(s)
}

// isConstLike reports whether e may be an untyped constant, whose type a
// generic wrapper would change.
func isConstLike(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.ParenExpr:
		return isConstLike(e.X)
	case *ast.UnaryExpr:
		return isConstLike(e.X)
	case *ast.BinaryExpr:
		return isConstLike(e.X) && isConstLike(e.Y)
	}
	return false
}

// clauses instruments case and comm clauses: a case line counts entries
// into its body.
func (in *inst) clauses(body *ast.BlockStmt) {
	for _, c := range body.List {
		switch c := c.(type) {
		case *ast.CaseClause:
			if k := in.slot(c.Case); k >= 0 {
				in.insert(in.off(c.Colon)+1, " "+in.inc(k))
			}
			in.exprs(exprNodes(c.List)...)
			in.stmts(c.Body)
		case *ast.CommClause:
			if k := in.slot(c.Case); k >= 0 {
				in.insert(in.off(c.Colon)+1, " "+in.inc(k))
			}
			in.exprs(c.Comm)
			in.stmts(c.Body)
		}
	}
}

func exprNodes(es []ast.Expr) []ast.Node {
	out := make([]ast.Node, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// The counting runtime appended to each instrumented file: package
// footer's files.
var (
	//go:embed footer/counters.go
	countersFooter string
	//go:embed footer/timed.go
	timedFooter string
)

// footer returns the counting runtime for the file, with the
// ExactTime timing runtime when asked: package footer's code after its
// imports (which the instrumenter puts on the package clause's line), with
// the file's id, and the number of its counters.
func (in *inst) footer() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "\n\n// Generated by speedup lprun: per-file line counters.\nconst _lpNS_ID = %d\n", in.nslots)
	b.WriteString(afterImports(countersFooter))
	if in.timed {
		b.WriteString(afterImports(timedFooter))
	}
	return []byte(strings.ReplaceAll(b.String(), "_ID", "_"+in.id))
}

// afterImports returns src after its import declaration.
func afterImports(src string) string {
	i := strings.Index(src, "\nimport (")
	return src[i+strings.Index(src[i:], "\n)\n")+len("\n)\n"):]
}
