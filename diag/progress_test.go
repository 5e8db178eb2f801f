package diag

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// newFakeBar returns an enabled bar on a buffer, with a fake clock and no
// ticker goroutine: the test calls redraw itself, as the ticker would.
func newFakeBar() (*ProgressBar, *bytes.Buffer, *fakeClock) {
	var buf bytes.Buffer
	c := &fakeClock{t: at(0)}
	p := NewProgressBar(&buf)
	p.Terminal = true
	p.now = c.now
	never := make(chan time.Time)
	p.tick = func(time.Duration) (<-chan time.Time, func()) { return never, func() {} }
	return p, &buf, c
}

func TestProgressNotTerminal(t *testing.T) {
	var buf bytes.Buffer
	if p := NewProgressBar(&buf); p.Terminal {
		t.Error("a buffer is not a terminal")
	}
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
	p, out, c := newFakeBar()
	p.Terminal = false
	p.Begin(2, 1)
	c.set(at(5000))
	p.TaskEnd(Task{})
	p.redraw(false)
	p.End()
	if out.Len() != 0 {
		t.Errorf("a bar off a terminal drew %q", out)
	}
}

func TestProgressQuickIsSilent(t *testing.T) {
	p, out, c := newFakeBar()
	p.Begin(2, 1)
	c.set(at(900))
	p.TaskEnd(Task{})
	p.redraw(false)
	c.set(at(950))
	p.TaskEnd(Task{})
	p.End()
	if out.Len() != 0 {
		t.Errorf("a computation under a second drew %q", out)
	}
}

func TestProgressLong(t *testing.T) {
	p, out, c := newFakeBar()
	p.Begin(4, 2)
	p.TaskEnd(Task{})
	c.set(at(1200))
	p.redraw(false)
	want := "\r[##########                              ] |  25% Completed |  1.20 s"
	if out.String() != want {
		t.Fatalf("first draw %q, want %q", out, want)
	}
	// Within the interval: no redraw, whatever happened.
	c.set(at(1250))
	p.TaskEnd(Task{})
	p.redraw(false)
	if out.String() != want {
		t.Fatalf("redrew within 100 ms: %q", out)
	}
	c.set(at(1310))
	p.redraw(false)
	want += "\r[####################                    ] |  50% Completed |  1.31 s"
	if out.String() != want {
		t.Fatalf("second draw %q, want %q", out, want)
	}
	p.TaskEnd(Task{})
	p.TaskEnd(Task{})
	c.set(at(2010))
	p.End()
	want += "\r[########################################] | 100% Completed |  2.01 s\n"
	if out.String() != want {
		t.Fatalf("final %q, want %q", out, want)
	}
	// Nothing after End, even if a stray tick came.
	p.redraw(false)
	if out.String() != want {
		t.Fatalf("drew after End: %q", out)
	}
}

// The final line blanks what a longer earlier line left, and a bar without
// a known total counts tasks instead.
func TestProgressUnknownTotalAndPadding(t *testing.T) {
	p, out, c := newFakeBar()
	p.Begin(0, 1)
	c.set(at(61500))
	p.TaskEnd(Task{})
	p.redraw(false)
	first := "1 tasks done |  1 min  1.5 s"
	if out.String() != "\r"+first {
		t.Fatalf("draw %q", out)
	}
	p.Begin(1, 1) // reuse for a new computation
	c.set(at(63000))
	p.TaskEnd(Task{})
	p.End()
	last := out.String()[len(first)+1:]
	if !strings.HasPrefix(last, "\r[####") || !strings.HasSuffix(last, " s\n") {
		t.Errorf("final %q", last)
	}
}

// The real ticker goroutine draws and stops; the fake clock says the run
// is long so the test needs no sleeping beyond a few ticks.
func TestProgressTicker(t *testing.T) {
	var buf bytes.Buffer
	c := &fakeClock{t: at(0)}
	p := NewProgressBar(&buf)
	p.Terminal = true
	p.now = c.now
	p.Interval = time.Millisecond
	p.Begin(1, 1)
	c.set(at(3000))
	deadline := time.Now().Add(10 * time.Second)
	for {
		p.mu.Lock()
		drawn := !p.last.IsZero()
		p.mu.Unlock()
		if drawn || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	p.TaskEnd(Task{})
	p.End()
	got := buf.String()
	if !strings.HasPrefix(got, "\r[        ") || !strings.HasSuffix(got, "] | 100% Completed |  3.00 s\n") {
		t.Errorf("output %q", got)
	}
}

func TestFormatElapsed(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2010 * time.Millisecond: " 2.01 s",
		75 * time.Second:        " 1 min 15.0 s",
		3723 * time.Second:      "1 hr  2 min  3.0 s",
	} {
		if got := formatElapsed(d); got != want {
			t.Errorf("formatElapsed(%v) = %q, want %q", d, got, want)
		}
	}
}
