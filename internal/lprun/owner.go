package lprun

import (
	"go/ast"
	"go/token"
)

// ownerLines maps the lines of fd on which no statement begins, but that
// belong to a statement beginning on an earlier line, to that line: the
// continuation lines of a multi-line statement or header, and the closing
// brace of a loop (where the compiler may place the jump back to the
// condition, which is the header's work). The profiler's samples carry the
// line of the instruction; Time is the statement's (docs/lprun.md), so the
// samples on such lines go to the statement's first line.
func ownerLines(fset *token.FileSet, fd *ast.FuncDecl) map[int]int {
	line := func(p token.Pos) int { return fset.Position(p).Line }
	starts := map[int]bool{}
	owner := map[int]int{}
	claim := func(from, to, own int) {
		for l := from; l <= to; l++ {
			if _, ok := owner[l]; !ok {
				owner[l] = own
			}
		}
	}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		// Statements of statement lists begin lines; the init and post
		// statements of headers do not.
		var list []ast.Stmt
		switch b := n.(type) {
		case *ast.BlockStmt:
			list = b.List
		case *ast.CaseClause:
			list = b.Body
		case *ast.CommClause:
			list = b.Body
		}
		for _, st := range list {
			starts[line(st.Pos())] = true
		}
		s, ok := n.(ast.Stmt)
		if !ok {
			return true
		}
		if _, ok := s.(*ast.BlockStmt); ok {
			return true
		}
		l := line(s.Pos())
		switch s := s.(type) {
		case *ast.ForStmt:
			claim(l+1, line(s.Body.Lbrace), l)
			claim(line(s.Body.Rbrace), line(s.Body.Rbrace), l)
		case *ast.RangeStmt:
			claim(l+1, line(s.Body.Lbrace), l)
			claim(line(s.Body.Rbrace), line(s.Body.Rbrace), l)
		case *ast.IfStmt:
			claim(l+1, line(s.Body.Lbrace), l)
		case *ast.SwitchStmt:
			claim(l+1, line(s.Body.Lbrace), l)
		case *ast.TypeSwitchStmt:
			claim(l+1, line(s.Body.Lbrace), l)
		case *ast.SelectStmt:
			claim(l+1, line(s.Body.Lbrace), l)
		case *ast.CaseClause:
			claim(l+1, line(s.Colon), l)
		case *ast.CommClause:
			claim(l+1, line(s.Colon), l)
		case *ast.LabeledStmt:
		default:
			claim(l+1, line(s.End()), l)
		}
		return true
	})
	// Lines where a statement begins (a function literal's body inside a
	// multi-line statement) keep their own time.
	for l := range starts {
		delete(owner, l)
	}
	return owner
}
