package snippet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gospeedup/speedup/internal/gorun"
	"github.com/gospeedup/speedup/timeit"
)

// TestBuildAndMeasure builds one harness with a parameter and measures it
// at two values, each in a fresh process: the loop counts asked for are
// the ones run.
func TestBuildAndMeasure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	t.Chdir(t.TempDir()) // outside any package: a temporary module
	ctx := context.Background()
	p, err := Build(ctx, Config{
		Setup:  []string{"s := strings.Repeat(\"ab\", n)"},
		Stmt:   "_ = strings.Count(s, \"b\")",
		Params: []timeit.Param{{Name: "n", Values: []any{10, 1000}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Dir != "" {
		t.Errorf("Dir = %q, want the temporary module (\"\")", p.Dir)
	}
	for _, v := range timeit.Grid([]timeit.Param{{Name: "n", Values: []any{10, 1000}}}) {
		r, err := p.Measure(ctx, Measurement{Values: v, Options: timeit.Options{Number: 3, Repeat: 2}})
		if err != nil {
			t.Fatalf("n=%v: %v", v[0], err)
		}
		if r.Loops != 3 || r.Runs != 2 {
			t.Errorf("n=%v: %d loops, %d runs; want 3 and 2", v[0], r.Loops, r.Runs)
		}
	}
	if _, err := p.Measure(ctx, Measurement{}); err == nil {
		t.Errorf("Measure without the parameter's value succeeded")
	}
}

// TestCurrentPackage: without Dir, the package in the current directory
// is used, as go test does.
func TestCurrentPackage(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module m\n\ngo 1.24\n"), 0o666)
	os.WriteFile(filepath.Join(dir, "m.go"), []byte("package m\n\nfunc double(x int) int { return 2 * x }\n"), 0o666)
	t.Chdir(dir)
	pkg, err := PackageDir("", "")
	if err != nil || pkg == nil || pkg.Name != "m" {
		t.Fatalf("PackageDir(\"\") = %+v, %v; want package m", pkg, err)
	}
	if testing.Short() {
		return
	}
	p, err := Build(context.Background(), Config{Stmt: "double(2)"})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
}

func TestInputErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := Build(context.Background(), Config{Dir: "nosuchdir", Stmt: "f()"})
	var ie *InputError
	if !errors.As(err, &ie) || err.Error() != "-C: missing directory nosuchdir" {
		t.Errorf("missing -C directory: %v", err)
	}
	_, err = Build(context.Background(), Config{Stmt: "f()", Params: []timeit.Param{{Name: "n", Values: []any{1, "a"}}}})
	if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "--param n: ") {
		t.Errorf("mixed --param values: %v", err)
	}
	if testing.Short() {
		return
	}
	_, err = Build(context.Background(), Config{Stmt: "nosuch()"})
	var ce *gorun.CompileError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "stmt:1:1: undefined: nosuch (without -C") {
		t.Errorf("outside a package: %v", err)
	}
}

// TestTimeout stops a snippet that hangs.
func TestTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	t.Chdir(t.TempDir())
	ctx := context.Background()
	p, err := Build(ctx, Config{Stmt: "time.Sleep(time.Hour)"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := time.Now()
	_, err = p.Measure(ctx, Measurement{Timeout: 200 * time.Millisecond, Options: timeit.Options{Number: 1, Repeat: 1}})
	var te *TimeoutError
	if !errors.As(err, &te) || te.Limit != 200*time.Millisecond {
		t.Errorf("Measure = %v, want a *TimeoutError", err)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("the timeout took %v", d)
	}
}
