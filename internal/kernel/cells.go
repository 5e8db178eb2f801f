package kernel

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"sort"
	"strings"

	"github.com/gospeedup/speedup/internal/gorun"
)

// A cell holds Go declarations and statements, mixed in any order. The
// splitter cuts it at the top-level statement boundaries (the semicolons
// the Go scanner inserts at line ends, outside any bracket) and sorts each
// piece: func with a name (or a method), type, const, var and import are
// declarations, which persist in the package; everything else is a
// statement, run in the cell's function.

// unit is one top-level piece of a cell: [Start, End) byte offsets.
type unit struct {
	Start, End int
	Decl       bool
}

// splitUnits cuts src into top-level units. It returns the depth of the
// open brackets at the end (> 0: the cell is unfinished) and the first
// scanner error.
func splitUnits(src string) (units []unit, depth int, err error) {
	units, depth, _, err = splitUnitsAt(src)
	return units, depth, err
}

// splitUnitsAt is splitUnits, also returning the offset of the first
// closing bracket without an opening one (depth < 0) or of the last
// opening bracket left open (depth > 0).
func splitUnitsAt(src string) (units []unit, depth, badAt int, err error) {
	fset := token.NewFileSet()
	file := fset.AddFile("cell", -1, len(src))
	var s scanner.Scanner
	var firstErr error
	s.Init(file, []byte(src), func(pos token.Position, msg string) {
		if firstErr == nil {
			firstErr = fmt.Errorf("%d:%d: %s", pos.Line, pos.Column, msg)
		}
	}, 0)
	var toks []scanTok
	for {
		p, t, lit := s.Scan()
		if t == token.EOF {
			break
		}
		toks = append(toks, scanTok{file.Offset(p), t, lit})
	}
	start := -1
	var first []scanTok
	var open []int
	badAt = -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		units = append(units, unit{Start: start, End: end, Decl: isDeclStart(first)})
		start, first = -1, nil
	}
	for _, t := range toks {
		switch t.tok {
		case token.LPAREN, token.LBRACE, token.LBRACK:
			depth++
			open = append(open, t.pos)
		case token.RPAREN, token.RBRACE, token.RBRACK:
			depth--
			if len(open) > 0 {
				open = open[:len(open)-1]
			} else if badAt < 0 {
				badAt = t.pos
			}
		}
		if t.tok == token.SEMICOLON && depth == 0 {
			flush(t.pos)
			continue
		}
		if start < 0 {
			start = t.pos
		}
		if len(first) < 64 {
			first = append(first, t)
		}
	}
	flush(len(src))
	// End a unit at the end of its last token's line content, not at the
	// auto-inserted semicolon's newline offset: that is where it ends.
	for i := range units {
		units[i].End = trimRightSpace(src, units[i].Start, units[i].End)
	}
	if badAt < 0 && len(open) > 0 {
		badAt = open[len(open)-1]
	}
	return units, depth, badAt, firstErr
}

func trimRightSpace(src string, start, end int) int {
	if end > len(src) {
		end = len(src)
	}
	for end > start && strings.ContainsRune(" \t\r\n", rune(src[end-1])) {
		end--
	}
	return end
}

// scanTok is a token of a cell and its byte offset.
type scanTok struct {
	pos int
	tok token.Token
	lit string
}

// isDeclStart reports whether a unit beginning with these tokens is a
// declaration.
func isDeclStart(toks []scanTok) bool {
	if len(toks) == 0 {
		return false
	}
	switch toks[0].tok {
	case token.TYPE, token.IMPORT, token.CONST, token.VAR:
		return true
	case token.FUNC:
		if len(toks) < 2 {
			return false
		}
		if toks[1].tok == token.IDENT {
			return true // func name(
		}
		if toks[1].tok != token.LPAREN {
			return false
		}
		// func (r T) M( is a method; func(...) ... { a literal.
		depth := 0
		for i := 1; i < len(toks); i++ {
			switch toks[i].tok {
			case token.LPAREN, token.LBRACK, token.LBRACE:
				depth++
			case token.RPAREN, token.RBRACK, token.RBRACE:
				depth--
			}
			if depth == 0 {
				return i+2 < len(toks) && toks[i+1].tok == token.IDENT && (toks[i+2].tok == token.LPAREN || toks[i+2].tok == token.LBRACK)
			}
		}
	}
	return false
}

// blank returns src with every byte outside keep replaced by a space,
// newlines kept, so that what is kept stays at its line and column.
func blank(src string, keep func(off int) bool) string {
	b := []byte(src)
	for i := range b {
		if b[i] != '\n' && !keep(i) {
			b[i] = ' '
		}
	}
	return string(b)
}

// Decl is one top-level declaration of a cell, keyed by the name it
// declares ("distance", "T.M" for a method, "import:math" for an import).
type Decl struct {
	Key  string
	Cell int
	// Start and End are byte offsets in the cell's source.
	Start, End int
	// Func is set for a func declaration (to know whether it returns a
	// value, for the cell's final expression).
	Func *ast.FuncDecl
	// Doc is the declaration's text, for inspect.
	Doc string
}

// Cell is a parsed cell.
type Cell struct {
	// N identifies the cell in the session; Name is what errors and
	// stack traces call it ("cell3", after In [3]).
	N    int
	Name string
	Src  string
	// Decls are its declarations in source order.
	Decls []*Decl
	// Stmts is the source with the declarations blanked out: the body of
	// the cell's function, at the cell's lines and columns. Empty when the
	// cell has no statement.
	Stmts string
	// Defines are the variables its top-level statements declare;
	// Mentions every identifier its statements use; Touches those it may
	// change: assigned to (X = ..., X[i] = ..., X.f++), passed to a call
	// (which may change what a slice, map or pointer refers to), a method
	// called on, its address taken, sent on.
	Defines  []string
	Mentions map[string]bool
	Touches  map[string]bool
	// LastExpr is the final top-level statement when it is an expression
	// (the cell's value, like IPython's Out[N]); [LastStart, LastEnd) is
	// its range in Src.
	LastExpr           ast.Expr
	LastStart, LastEnd int
	stmtFile           *ast.File
	hasStmts           bool
}

// HasStmts reports whether the cell has statements to run.
func (c *Cell) HasStmts() bool { return c.hasStmts }

// stmtPrefix is what the statements are parsed in: their line L is the
// file's line L+2.
const stmtPrefix = "package p\nfunc _() {\n"

// ParseCell splits and parses cell number n. Syntax errors are returned as
// a *CellError located at cellN:LINE:COL.
func ParseCell(n int, src string) (*Cell, error) {
	name := fmt.Sprintf("cell%d", n)
	units, err := splitChecked(name, src)
	if err != nil {
		return nil, err
	}
	c := &Cell{N: n, Name: name, Src: src, Mentions: map[string]bool{}, Touches: map[string]bool{}}
	inDecl := func(off int) bool {
		for _, u := range units {
			if u.Decl && off >= u.Start && off < u.End {
				return true
			}
		}
		return false
	}
	if c.Decls, err = parseDecls(n, name, src, inDecl); err != nil {
		return nil, err
	}
	stmts := blank(src, func(off int) bool { return !inDecl(off) })
	if strings.TrimSpace(stmts) == "" {
		return c, nil
	}
	if err := c.parseStmts(stmts); err != nil {
		return nil, err
	}
	return c, nil
}

// splitChecked is splitUnitsAt with its errors as the cell's syntax
// errors: a scanner error, an unclosed or an unmatched bracket.
func splitChecked(name, src string) ([]unit, error) {
	units, depth, badAt, err := splitUnitsAt(src)
	if err != nil {
		return nil, syntaxErr(name, err.Error())
	}
	if depth != 0 || badAt >= 0 {
		pos := lineCol(src, badAt)
		msg := "unexpected " + string(src[badAt]) + ", no matching opening bracket"
		if depth > 0 {
			msg = "unclosed " + string(src[badAt]) + " at the end of the cell"
		}
		return nil, syntaxErr(name, fmt.Sprintf("%d:%d: syntax error: %s", pos.Line, pos.Column, msg))
	}
	return units, nil
}

// parseDecls parses the declarations of cell n (the bytes where inDecl
// holds) as a file whose line 1 is the cell's line 1.
func parseDecls(n int, name, src string, inDecl func(off int) bool) ([]*Decl, error) {
	declSrc := "package p;" + blank(src, inDecl)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, declSrc, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, parseErr(name, err, 0, len("package p;"))
	}
	off := func(p token.Pos) int { return fset.Position(p).Offset - len("package p;") }
	var decls []*Decl
	for _, d := range f.Decls {
		start, end := off(d.Pos()), off(d.End())
		text := src[start:end]
		if fd, ok := d.(*ast.FuncDecl); ok {
			decls = append(decls, &Decl{Key: funcKey(fd), Cell: n, Start: start, End: end, Func: fd, Doc: text})
			continue
		}
		// One entry for the whole group, under each name it declares:
		// redefining any of them replaces the group.
		for _, k := range genDeclKeys(d.(*ast.GenDecl)) {
			decls = append(decls, &Decl{Key: k, Cell: n, Start: start, End: end, Doc: text})
		}
	}
	return decls, nil
}

// funcKey is a func declaration's key: its name, or "T.M" for a method.
func funcKey(d *ast.FuncDecl) string {
	if d.Recv != nil && len(d.Recv.List) == 1 {
		return recvName(d.Recv.List[0].Type) + "." + d.Name.Name
	}
	return d.Name.Name
}

// genDeclKeys returns the keys of the names a type, const, var or import
// declaration declares ("import:PATH-or-NAME" for an import).
func genDeclKeys(d *ast.GenDecl) []string {
	var keys []string
	for _, sp := range d.Specs {
		switch sp := sp.(type) {
		case *ast.TypeSpec:
			keys = append(keys, sp.Name.Name)
		case *ast.ValueSpec:
			for _, id := range sp.Names {
				keys = append(keys, id.Name)
			}
		case *ast.ImportSpec:
			keys = append(keys, "import:"+importKey(sp))
		}
	}
	return keys
}

// parseStmts parses the cell's statements (its source with the
// declarations blanked out) as the body of a function and records what
// they define, mention and touch, and the final expression.
func (c *Cell) parseStmts(stmts string) error {
	c.Stmts = stmts
	c.hasStmts = true
	fset := token.NewFileSet()
	sf, err := parser.ParseFile(fset, c.Name, stmtPrefix+stmts+"\n}\n", parser.SkipObjectResolution)
	if err != nil {
		return parseErr(c.Name, err, 2, 0)
	}
	c.stmtFile = sf
	body := sf.Decls[0].(*ast.FuncDecl).Body
	for _, st := range body.List {
		c.Defines = append(c.Defines, gorun.Declared(st)...)
	}
	if n := len(body.List); n > 0 {
		if es, ok := body.List[n-1].(*ast.ExprStmt); ok {
			soff := func(p token.Pos) int { return fset.Position(p).Offset - len(stmtPrefix) }
			c.LastExpr = es.X
			c.LastStart, c.LastEnd = soff(es.Pos()), soff(es.End())
		}
	}
	c.collectUses(body)
	return nil
}

// collectUses fills Mentions and Touches from the cell's statements.
// Uses and changes of a name that an earlier top-level statement of the
// cell declared are the cell's own, not the history's; a variable's own
// declaration is not a use of an earlier one.
func (c *Cell) collectUses(body *ast.BlockStmt) {
	declared := declaredIdents(body)
	own := map[string]bool{}
	outside := func(id *ast.Ident) bool { return !declared[id] && !own[id.Name] }
	for _, st := range body.List {
		for _, id := range mentionedIdents(st) {
			if outside(id) {
				c.Mentions[id.Name] = true
			}
		}
		for _, id := range touchedIdents(st) {
			if outside(id) {
				c.Touches[id.Name] = true
			}
		}
		for _, name := range gorun.Declared(st) {
			own[name] = true
		}
	}
}

// declaredIdents returns the identifiers that declare a variable (the
// left of :=, the names of a var spec) anywhere in n.
func declaredIdents(n ast.Node) map[*ast.Ident]bool {
	declared := map[*ast.Ident]bool{}
	ast.Inspect(n, func(x ast.Node) bool {
		switch x := x.(type) {
		case *ast.AssignStmt:
			if x.Tok == token.DEFINE {
				for _, l := range x.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						declared[id] = true
					}
				}
			}
		case *ast.ValueSpec:
			for _, id := range x.Names {
				declared[id] = true
			}
		}
		return true
	})
	return declared
}

// mentionedIdents returns the identifiers n uses, skipping the selector
// of x.f (a field or method name, or a package member).
func mentionedIdents(n ast.Node) []*ast.Ident {
	var out []*ast.Ident
	var visit func(x ast.Node) bool
	visit = func(x ast.Node) bool {
		switch x := x.(type) {
		case *ast.SelectorExpr:
			ast.Inspect(x.X, visit)
			return false
		case *ast.Ident:
			out = append(out, x)
		}
		return true
	}
	ast.Inspect(n, visit)
	return out
}

// touchedIdents returns the variables n may change: assigned to
// (X = ..., X[i] = ..., X.f++), passed to a call other than a read-only
// builtin, a method called on, its address taken, sent on.
func touchedIdents(n ast.Node) []*ast.Ident {
	var out []*ast.Ident
	touch := func(e ast.Expr) {
		if id := rootIdent(e); id != nil {
			out = append(out, id)
		}
	}
	ast.Inspect(n, func(x ast.Node) bool {
		switch x := x.(type) {
		case *ast.AssignStmt:
			if x.Tok != token.DEFINE {
				for _, l := range x.Lhs {
					touch(l)
				}
			}
		case *ast.IncDecStmt:
			touch(x.X)
		case *ast.SendStmt:
			touch(x.Chan)
		case *ast.UnaryExpr:
			if x.Op == token.AND {
				touch(x.X)
			}
		case *ast.RangeStmt:
			if x.Tok == token.ASSIGN {
				touch(x.Key)
				touch(x.Value)
			}
		case *ast.CallExpr:
			touchCall(x, touch)
		}
		return true
	})
	return out
}

// touchCall reports what a call may change: its arguments and, for a
// method, its receiver. Read-only builtins change nothing.
func touchCall(x *ast.CallExpr, touch func(ast.Expr)) {
	if id, ok := x.Fun.(*ast.Ident); ok && readOnlyBuiltins[id.Name] {
		return
	}
	if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
		touch(sel.X) // a method may change its receiver
	}
	for _, a := range x.Args {
		touch(a)
	}
}

// readOnlyBuiltins change none of their arguments.
var readOnlyBuiltins = map[string]bool{"len": true, "cap": true, "min": true, "max": true,
	"complex": true, "real": true, "imag": true, "print": true, "println": true, "panic": true}

// rootIdent returns the variable an expression designates part of: X for
// X, X[i], X.f, X[i].f[j], *X, (X).
func rootIdent(e ast.Expr) *ast.Ident {
	for {
		switch x := e.(type) {
		case *ast.Ident:
			return x
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.SelectorExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.SliceExpr:
			e = x.X
		default:
			return nil
		}
	}
}

func recvName(t ast.Expr) string {
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.ParenExpr:
			t = x.X
		case *ast.Ident:
			return x.Name
		default:
			return "?"
		}
	}
}

func importKey(sp *ast.ImportSpec) string {
	k := strings.Trim(sp.Path.Value, "\"`")
	if sp.Name != nil {
		k = sp.Name.Name + " " + k
	}
	return k
}

func syntaxErr(name, msg string) error {
	return &CellError{Name: "SyntaxError", Value: name + ":" + msg}
}

// parseErr maps a parser error back to the cell: lineShift lines and, on
// the first line, colShift columns were added before the cell's text.
func parseErr(name string, err error, lineShift, colShift int) error {
	list, ok := err.(scanner.ErrorList)
	if !ok || len(list) == 0 {
		return &CellError{Name: "SyntaxError", Value: name + ": " + err.Error()}
	}
	e := list[0]
	line, col := e.Pos.Line-lineShift, e.Pos.Column
	if e.Pos.Line == 1 && lineShift == 0 {
		col -= colShift
	}
	if line < 1 {
		line, col = 1, 1
	}
	msg := strings.ReplaceAll(e.Msg, "found '}'", "found end of cell")
	msg = strings.ReplaceAll(msg, "'EOF'", "end of cell")
	return &CellError{Name: "SyntaxError", Value: fmt.Sprintf("%s:%d:%d: syntax error: %s", name, line, col, msg)}
}

// IsComplete says whether src is a finished cell, for jupyter console:
// "incomplete" while a bracket is open (with the indent for the next
// line), "invalid" for a scanner error, else "complete".
func IsComplete(src string) (string, string) {
	if strings.HasPrefix(strings.TrimSpace(src), "%") && !strings.HasPrefix(strings.TrimSpace(src), "%%") {
		return "complete", ""
	}
	_, depth, err := splitUnits(src)
	switch {
	case err != nil && depth <= 0:
		if strings.Contains(err.Error(), "not terminated") {
			return "incomplete", ""
		}
		return "invalid", ""
	case depth > 0:
		return "incomplete", strings.Repeat("\t", depth)
	case depth < 0:
		return "invalid", ""
	}
	return "complete", ""
}

// DeclMap holds the session's declarations, keyed by name, in the order
// they were first made.
type DeclMap struct {
	byKey map[string]*Decl
	order []string
}

// NewDeclMap returns an empty map.
func NewDeclMap() *DeclMap { return &DeclMap{byKey: map[string]*Decl{}} }

// Clone returns a copy, to which a cell's declarations are added before it
// is known to compile.
func (m *DeclMap) Clone() *DeclMap {
	c := &DeclMap{byKey: make(map[string]*Decl, len(m.byKey)), order: append([]string(nil), m.order...)}
	for k, v := range m.byKey {
		c.byKey[k] = v
	}
	return c
}

// Add puts the declarations of cell c in the map. A declaration group
// whose name is declared again is removed as a whole: redefining one
// variable of "var a, b = f()" drops b too (the group cannot be split).
func (m *DeclMap) Add(c *Cell) {
	for _, d := range c.Decls {
		if old, ok := m.byKey[d.Key]; ok && old.Cell != c.N {
			m.removeGroup(old)
		}
	}
	for _, d := range c.Decls {
		if _, ok := m.byKey[d.Key]; !ok {
			m.order = append(m.order, d.Key)
		}
		m.byKey[d.Key] = d
	}
}

func (m *DeclMap) removeGroup(d *Decl) {
	for k, v := range m.byKey {
		if v.Cell == d.Cell && v.Start == d.Start {
			m.Remove(k)
		}
	}
}

// Remove deletes key, and reports whether it was there.
func (m *DeclMap) Remove(key string) bool {
	if _, ok := m.byKey[key]; !ok {
		return false
	}
	delete(m.byKey, key)
	for i, k := range m.order {
		if k == key {
			m.order = append(m.order[:i], m.order[i+1:]...)
			break
		}
	}
	return true
}

// Get returns the declaration of key.
func (m *DeclMap) Get(key string) *Decl { return m.byKey[key] }

// Keys returns the keys in the order they were first declared.
func (m *DeclMap) Keys() []string { return append([]string(nil), m.order...) }

// Cells returns the numbers of the cells that still hold a declaration,
// ascending, with the declarations of each (by start offset).
func (m *DeclMap) Cells() map[int][]*Decl {
	out := map[int][]*Decl{}
	seen := map[[2]int]bool{}
	for _, d := range m.byKey {
		k := [2]int{d.Cell, d.Start}
		if seen[k] {
			continue
		}
		seen[k] = true
		out[d.Cell] = append(out[d.Cell], d)
	}
	for _, ds := range out {
		sort.Slice(ds, func(i, j int) bool { return ds[i].Start < ds[j].Start })
	}
	return out
}

// Rerun returns the earlier statement cells that cell c needs run again
// before it, in order: for each variable c uses, the latest cell before it
// that declared the variable, and every cell between the two that may have
// changed the variable (see Cell.Touches), transitively for the variables
// those cells use.
func Rerun(history []*Cell, c *Cell) []*Cell {
	var out []*Cell
	for _, r := range RerunPlan(history, c) {
		out = append(out, r.Cell)
	}
	return out
}

// Rerun is one cell to run again; Defines is set when a variable it
// declares is needed (otherwise it runs only for its effect on variables
// of earlier cells, and its own variables may be kept local).
type RerunCell struct {
	Cell    *Cell
	Defines bool
}

// RerunPlan is Rerun, saying which cells are needed for the variables
// they declare.
func RerunPlan(history []*Cell, c *Cell) []RerunCell {
	type item struct {
		name  string
		bound int // index in history: look only before it
	}
	var work []item
	for name := range c.Mentions {
		work = append(work, item{name, len(history)})
	}
	include := map[int]bool{}
	definer := map[int]bool{}
	add := func(i int) {
		if include[i] {
			return
		}
		include[i] = true
		for name := range history[i].Mentions {
			work = append(work, item{name, i})
		}
	}
	for len(work) > 0 {
		it := work[len(work)-1]
		work = work[:len(work)-1]
		def := -1
		for i := it.bound - 1; i >= 0 && def < 0; i-- {
			for _, d := range history[i].Defines {
				if d == it.name {
					def = i
					break
				}
			}
		}
		if def < 0 {
			continue
		}
		definer[def] = true
		add(def)
		for j := def + 1; j < it.bound; j++ {
			if history[j].Touches[it.name] {
				add(j)
			}
		}
	}
	var out []RerunCell
	for i, h := range history {
		if include[i] {
			out = append(out, RerunCell{h, definer[i]})
		}
	}
	return out
}
