package gorun

import (
	"errors"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// FuzzBlock checks that Block never panics, that its errors are
// *CompileErrors placed inside the snippet, and that valid snippets come
// back with their text intact after the line directive.
func FuzzBlock(f *testing.F) {
	for _, s := range []string{"x := 1", "a, b := f()\nvar c int", "x*x", "for {", "f(1,\n]", "", "/*", "`", "len(s)\nif x { y() }",
		"for { break }\nreturn", "go func() { return }()\ndefer f()", "}\nx := 1",
		"for i := range 3 {\n\tMix(i); _ = f(i)\n\tv := g()\n}", "switch {\ncase a:\n\tv := 1\n\tfallthrough\ndefault:\n}", "if x {f()}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		// The loop body form adds the return/break/continue check.
		if _, err := block("stmt", src, modeLoop); err != nil {
			var ce *CompileError
			lines := strings.Count(src, "\n") + 1
			if !errors.As(err, &ce) || ce.File != "stmt" || ce.Line < 1 || ce.Line > lines {
				t.Fatalf("block(%q, loop body) error %v is not a *CompileError inside the snippet", src, err)
			}
		}
		out, err := Block("stmt", src)
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("Block(%q) error %v is not a *CompileError", src, err)
			}
			lines := strings.Count(src, "\n") + 1
			if ce.File != "stmt" || ce.Line < 1 || ce.Line > lines {
				t.Fatalf("Block(%q) error %v lies outside the snippet (%d lines)", src, err, lines)
			}
			return
		}
		if !strings.HasPrefix(out, "/*line stmt:1:1*/") {
			t.Fatalf("Block(%q) = %q lacks the line directive", src, out)
		}
		// KeptBlock's edits keep valid code valid.
		kept, err := KeptBlock("stmt", src)
		if err != nil {
			t.Fatalf("KeptBlock(%q) fails where Block succeeds: %v", src, err)
		}
		if _, err := parser.ParseFile(token.NewFileSet(), "", "package p\nfunc _() {\n"+kept+"\n}\n", parser.SkipObjectResolution); err != nil {
			t.Fatalf("KeptBlock(%q) = %q does not parse: %v", src, kept, err)
		}
	})
}
