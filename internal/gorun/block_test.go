package gorun

import (
	"errors"
	"strings"
	"testing"
)

func TestBlockSyntaxErrors(t *testing.T) {
	tests := []struct {
		src  string
		want string // CompileError.Error()
	}{
		{"x := ", "stmt:1:6: syntax error: expected operand, found end of snippet"},
		{"a := 1\nb := a + )", "stmt:2:10: syntax error: expected operand, found ')'"},
		{"for {", "stmt:1:6: syntax error: expected '}', found end of snippet"},
		{"}", "stmt:1:1: syntax error: unexpected }, no matching {"},
		{"x := 1\n\t}\ny := 2", "stmt:2:2: syntax error: unexpected }, no matching {"},
		{"f(1,\n\n  ]", "stmt:3:3: syntax error: expected operand, found ']'"},
		// Code that escapes the wrapper into the file's top level.
		{"} ; func _() {", "stmt:1:1: syntax error: unexpected }, no matching {"},
		{"x := 1\n}\nfunc init() { println() }\nfunc _() {", "stmt:2:1: syntax error: unexpected }, no matching {"},
	}
	for _, tt := range tests {
		_, err := Block("stmt", tt.src)
		var ce *CompileError
		if !errors.As(err, &ce) {
			t.Errorf("Block(%q) error = %v, want a *CompileError", tt.src, err)
			continue
		}
		if got := ce.Error(); got != tt.want {
			t.Errorf("Block(%q) error = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestBlockGuardsAndKeepAlive(t *testing.T) {
	got, err := Block("stmt", "a, _ := 1, 2\nvar b, c int\nx := a\nx * 2\nlen(\"abc\")\nf(a)")
	if err != nil {
		t.Fatal(err)
	}
	want := "/*line stmt:1:1*/a, _ := 1, 2\nvar b, c int\nx := a\n_speedup_stmt3 := /*line stmt:4:1*/x * 2\n_speedup_stmt4 := /*line stmt:5:1*/len(\"abc\")\nf(a)\n" +
		"_ = a\n_ = b\n_ = c\n_ = x\n_ = _speedup_stmt3\n_ = _speedup_stmt4\n"
	if got != want {
		t.Errorf("Block:\n%s\nwant:\n%s", got, want)
	}
}

// TestBlockLoopBody checks that a cell with a loop is wrapped in a function
// literal (see block) and that a straight-line statement is not.
func TestBlockLoopBody(t *testing.T) {
	got, err := block("stmt", "s := 0\nfor i := range 3 {\n\ts += i\n}", modeLoop)
	if err != nil {
		t.Fatal(err)
	}
	want := "func() {/*line stmt:1:1*/s := 0\nfor i := range 3 {\n\ts += i\n}\n_speedup_keep(s)\n}()\n"
	if got != want {
		t.Errorf("cell:\n%s\nwant:\n%s", got, want)
	}
	got, err = block("stmt", "f(x)", modeLoop)
	if err != nil {
		t.Fatal(err)
	}
	if want := "/*line stmt:1:1*/f(x)\n"; got != want {
		t.Errorf("one-liner: %q, want %q", got, want)
	}
}

// TestKeptBlock checks what KeptBlock keeps alive, at any depth: discarded
// call results, values assigned to _, and each block's variables at its
// end; not inside function literals. The text keeps its positions.
func TestKeptBlock(t *testing.T) {
	tests := []struct{ src, want string }{
		{"Mix(1)", "_speedup_keep(/*line stmt:1:1*/Mix(1))/*line stmt:1:7*/"},
		{"for range 3 {\n\tMix(1); x++\n}", "for range 3 {\n\t_speedup_keep(/*line stmt:2:2*/Mix(1))/*line stmt:2:8*/; x++\n}"},
		{"_ = Mix(1)", "_speedup_keep(/*line stmt:1:5*/Mix(1))/*line stmt:1:11*/"},
		{"if ok {\n\tv := Mix(1)\n\tuse(v)\n}", "if ok {\n\tv := Mix(1)\n\t_speedup_keep(/*line stmt:3:2*/use(v))/*line stmt:3:8*/\n; _speedup_keep(v);/*line stmt:4:1*/}"},
		{"switch {\ncase a:\n\tv := 1\n\tfallthrough\ndefault:\n}", "switch {\ncase a:\n\tv := 1\n\t_speedup_keep(v);/*line stmt:4:2*/fallthrough\ndefault:\n}"},
		{"go func() { Mix(1) }()", "go func() { _speedup_keep(/*line stmt:1:13*/Mix(1))/*line stmt:1:19*/ }()"},
		{"func() int {\n\tif ok {\n\t\tv := 1\n\t\treturn v\n\t}\n\tMix(1)\n\treturn 0\n}()", "_speedup_keep(/*line stmt:1:1*/func() int {\n\tif ok {\n\t\tv := 1\n\t\treturn v\n\t}\n\t_speedup_keep(/*line stmt:6:2*/Mix(1))/*line stmt:6:8*/\n\treturn 0\n}())/*line stmt:8:4*/"},
		{"for {\n\tv := f()\n\tbreak\n}", "for {\n\tv := f()\n\t_speedup_keep(v);/*line stmt:3:2*/break\n}"},
		{"<-ch", "<-ch"},
		{"println(1); close(ch)", "println(1); close(ch)"},
	}
	for _, tt := range tests {
		got, err := KeptBlock("stmt", tt.src)
		if err != nil {
			t.Fatal(err)
		}
		want := "/*line stmt:1:1*/" + tt.want + "\n"
		if got != want {
			t.Errorf("KeptBlock(%q):\n%q\nwant\n%q", tt.src, got, want)
		}
	}
}

// TestBlockDeferWraps checks that a deferred call of the timed statement
// runs at the end of each loop: "mu.Lock(); defer mu.Unlock()" used to
// deadlock at the second loop, the deferred calls piling up until the end
// of the timing function.
func TestBlockDeferWraps(t *testing.T) {
	got, err := block("stmt", "mu.Lock(); defer mu.Unlock()", modeLoop)
	if err != nil {
		t.Fatal(err)
	}
	if want := "func() {/*line stmt:1:1*/_speedup_keep(/*line stmt:1:1*/mu.Lock())/*line stmt:1:10*/; defer mu.Unlock()\n}()\n"; got != want {
		t.Errorf("defer: %q, want %q", got, want)
	}
}

// TestLeavesLoop checks that statements which would leave the timing loop
// (they ended the benchmark early: "asked for 1 loops, the harness ran 0")
// are compile errors at their position, and that those with a target of
// their own in the snippet are not.
func TestLeavesLoop(t *testing.T) {
	bad := []struct{ setup, stmt, want string }{
		{"", "return", "stmt:1:1: return is not allowed in a snippet: it would end the timing function early"},
		{"", "x := 1\nif x > 0 {\n\treturn\n}", "stmt:3:2: return is not allowed in a snippet: it would end the timing function early"},
		{"", "f(); break", "stmt:1:6: break is not in a loop, switch, or select"},
		{"", "switch {\ncase true:\n\tcontinue\n}", "stmt:3:2: continue is not in a loop"},
		{"x := 1\nreturn", "f(x)", "setup:2:1: return is not allowed in a snippet: it would end the timing function early"},
	}
	for _, tt := range bad {
		_, err := TimeitFile(TempPackage, TimeitFileName, Snippet{Setup: []string{tt.setup}, Stmt: tt.stmt})
		if err == nil || err.Error() != tt.want {
			t.Errorf("setup %q, stmt %q: error %v, want %q", tt.setup, tt.stmt, err, tt.want)
		}
	}
	good := []string{
		"for range 3 { break }",
		"for i := range 3 { if i > 0 { continue } }",
		"switch { default: break }",
		"select { default: break }",
		"L: for { break L }",
		"f := func() int { return 1 }\nf()",
		"go func() { return }()",
	}
	for _, stmt := range good {
		if _, err := block("stmt", stmt, modeLoop); err != nil {
			t.Errorf("stmt %q: %v", stmt, err)
		}
	}
}

func TestCompileErrorString(t *testing.T) {
	tests := []struct {
		e    CompileError
		want string
	}{
		{CompileError{File: "stmt", Line: 1, Col: 5, Msg: "undefined: foo"}, "stmt:1:5: undefined: foo"},
		{CompileError{File: "setup", Line: 2, Msg: "m", More: 1}, "setup:2: m (and 1 more error)"},
		{CompileError{Msg: "no required module provides package x", More: 3}, "no required module provides package x (and 3 more errors)"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestBuildErrorParsing(t *testing.T) {
	out := "# example.com/p [example.com/p.test]\n" +
		"stmt:2:7: not enough arguments in call to Dot\n\thave (number)\n\twant ([]float64, []float64)\n" +
		"setup:1:1: declared and not used: q\n" +
		"./lib.go:3:2: undefined: z\n" +
		"too many errors\n"
	gen := map[string][]byte{TimeitFileName: nil}
	err := buildError(out, "/tmp/p", gen, false)
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("buildError = %v, want a *CompileError", err)
	}
	if ce.File != "stmt" || ce.Line != 2 || ce.Col != 7 || ce.More != 2 || len(ce.Detail) != 2 {
		t.Errorf("buildError = %+v", ce)
	}
	// The go command's fix stays, on the same line.
	missing := "zz_speedup_snippet_test.go:5:2: no required module provides package example.com/x; to add it:\n\tgo get example.com/x\n"
	err = buildError(missing, "/tmp/p", gen, false)
	if err == nil || err.Error() != "no required module provides package example.com/x; to add it: go get example.com/x" {
		t.Errorf("buildError for a missing module = %v", err)
	}
	// In the temporary module the fix is -C, the same hint for every
	// command.
	err = buildError(missing, "/tmp/p", gen, true)
	if err == nil || err.Error() != "no required module provides package example.com/x (without -C, statements run in a temporary module with only the standard library; use -C DIR to run in your module)" {
		t.Errorf("buildError for a missing module without -C = %v", err)
	}
	err = buildError("go: updates to go.mod needed; to update it:\n\tgo mod tidy\n", "/tmp/p", gen, false)
	if err == nil || err.Error() != "updates to go.mod needed; to update it: go mod tidy" {
		t.Errorf("buildError for a go command error = %v", err)
	}
	err = buildError("go: downloading example.com/x\ngo: example.com/x: no network\n", "/tmp/p", gen, false)
	if err == nil || !strings.Contains(err.Error(), "downloading") {
		t.Errorf("buildError without positions = %v", err)
	}
}

func TestVarType(t *testing.T) {
	tests := []struct {
		values []any
		want   string
	}{
		{[]any{1, 2}, "int"},
		{[]any{1, 2.5}, "float64"},
		{[]any{"a", "b"}, "string"},
		{[]any{1, "b"}, ""},
	}
	for _, tt := range tests {
		got, err := VarType(tt.values)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("VarType(%v) = %q, %v; want %q", tt.values, got, err, tt.want)
		}
	}
}
