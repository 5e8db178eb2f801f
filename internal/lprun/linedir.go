package lprun

import (
	"bytes"
	"go/scanner"
	"go/token"
)

// disableLineDirectives returns src with its line directives ("//line
// calc.y:12" at the start of a line, "/*line calc.y:12*/") turned into
// plain comments of the same length, and whether it had any.
//
// Generated code (goyacc, templ, ragel) carries them so that the compiler
// reports positions in the grammar or template. The report shows the file
// the user has, line by line, and its hits, its CPU samples and its stack
// snapshots must all name that file's lines: both builds compile the
// profiled files without their directives (docs/lprun.md).
func disableLineDirectives(src []byte) ([]byte, bool) {
	if !bytes.Contains(src, []byte("line ")) {
		return src, false
	}
	var out []byte
	var s scanner.Scanner
	fset := token.NewFileSet()
	f := fset.AddFile("", -1, len(src))
	s.Init(f, src, nil, scanner.ScanComments)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok != token.COMMENT {
			continue
		}
		off := f.Offset(pos)
		directive := false
		switch {
		case len(lit) > 7 && lit[:7] == "/*line ":
			directive = true
		case len(lit) > 7 && lit[:7] == "//line ":
			// Only at the start of a line is it a directive.
			directive = off == 0 || src[off-1] == '\n'
		}
		if directive {
			if out == nil {
				out = bytes.Clone(src)
			}
			copy(out[off+2:], "LINE")
		}
	}
	if out == nil {
		return src, false
	}
	return out, true
}
