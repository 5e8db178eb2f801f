package panicerr

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/gospeedup/speedup/diag"
)

type obs struct{ panicOn string }

func (obs) Begin(int, int)      {}
func (obs) TaskStart(diag.Task) {}
func (o obs) TaskEnd(t diag.Task) {
	if t.Name == o.panicOn {
		panic("observer " + t.Name)
	}
}
func (obs) End() {}

func TestTaskEnd(t *testing.T) {
	wrap := func(v any) string { return v.(string) + "\n" + string(debug.Stack()) }
	if p, ok := TaskEnd(obs{"bad"}, diag.Task{Name: "good"}, wrap); ok || p != "" {
		t.Errorf("no panic: got %q, %v", p, ok)
	}
	p, ok := TaskEnd(obs{"bad"}, diag.Task{Name: "bad"}, wrap)
	if !ok || !strings.HasPrefix(p, "observer bad\n") {
		t.Fatalf("panic: got %q, %v", p, ok)
	}
	// The stack is taken where the observer panicked.
	if !strings.Contains(p, "panicerr.obs.TaskEnd") {
		t.Errorf("stack lacks the observer's frame:\n%s", p)
	}
}
