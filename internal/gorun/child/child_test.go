package child

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

func TestParked(t *testing.T) {
	for fn, want := range map[string]bool{
		"runtime.gopark":                    true,
		"runtime.entersyscall":              true,
		"syscall.Syscall6":                  true,
		"internal/runtime/syscall.Syscall6": true,
		"main.work":                         false,
		"runtime.mallocgc":                  false,
		"syscall.":                          false,
	} {
		if got := _speedup_parked(fn); got != want {
			t.Errorf("_speedup_parked(%q) = %v, want %v", fn, got, want)
		}
	}
}

// TestRecordPanic: a recovered panic is described by its value (an
// error's message) and the panicking goroutine's stack.
func TestRecordPanic(t *testing.T) {
	var p *_speedup_panic
	func() {
		defer func() { p = _speedup_recordPanic(recover()) }()
		panic(errors.New("boom"))
	}()
	if p.Value != "boom" || !strings.Contains(p.Stack, "TestRecordPanic") || p.File != "" {
		t.Errorf("panic %+v", p)
	}
}

// TestAttribute: a goroutine snapshot counts once per target on its stack,
// on that target's innermost line, parked when its innermost frame is.
func TestAttribute(t *testing.T) {
	var st [32]uintptr
	n := runtime.Callers(1, st[:])
	frames := runtime.CallersFrames(st[:n])
	f, _ := frames.Next() // this function
	targets := []_speedup_target{{File: f.File, Start: f.Line - 1, End: f.Line + 1}, {File: "other.go", Start: 1, End: 100}}
	lines, hits := _speedup_attribute(targets, map[[32]uintptr]int{st: 3})
	if hits != 3 || len(lines) != 1 || lines[0] != (_speedup_lineTime{Target: 0, Line: f.Line, N: 3}) {
		t.Errorf("lines %+v, hits %d", lines, hits)
	}
}
