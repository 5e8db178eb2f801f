package diag

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gospeedup/speedup/internal/durfmt"
	"github.com/gospeedup/speedup/internal/golden"
)

// t0 is an arbitrary fixed origin: golden files must not depend on when
// the tests run.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// at returns t0 plus ms milliseconds.
func at(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }

// fakeClock is a settable clock shared by the tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// incAdd feeds o the tutorial's graph as two workers would run it: two
// one-second incs side by side, then a one-second add, all in 2 s.
func incAdd(o Observer, clock *fakeClock) {
	clock.set(at(0))
	o.Begin(3, 2)
	tasks := []Task{
		{ID: 1, Name: "inc#1", Worker: 0, Start: at(0.2), End: at(1000.4)},
		{ID: 2, Name: "inc", Worker: 1, Start: at(0.3), End: at(1000.5)},
		{ID: 3, Name: "add", Worker: 0, Start: at(1000.6), End: at(2000.9), Err: errors.New(`bad "sum" <3>`)},
	}
	for _, t := range tasks {
		s := t
		s.End, s.Err = time.Time{}, nil
		o.TaskStart(s)
	}
	for _, t := range tasks {
		o.TaskEnd(t)
	}
	clock.set(at(2001))
	o.End()
}

func newFakeRecorder() (*Recorder, *fakeClock) {
	c := &fakeClock{}
	r := NewRecorder()
	r.now = c.now
	return r, c
}

func TestRecorderSummary(t *testing.T) {
	r, c := newFakeRecorder()
	incAdd(r, c)
	s := r.Summary()
	if !s.Begin.Equal(at(0)) || !s.End.Equal(at(2001)) || s.Workers != 2 {
		t.Errorf("Summary = begin %v end %v workers %d", s.Begin, s.End, s.Workers)
	}
	var ids []int64
	for _, task := range s.Tasks {
		ids = append(ids, task.ID)
	}
	if len(ids) != 3 || ids[0] != 1 || ids[1] != 2 || ids[2] != 3 {
		t.Errorf("task order = %v, want [1 2 3] (by start)", ids)
	}
	if n := len(r.Events()); n != 8 {
		t.Errorf("%d events, want 8", n)
	}
	r.Reset()
	if n := len(r.Events()); n != 0 {
		t.Errorf("%d events after Reset", n)
	}
}

// A reporter that leaves Start zero in TaskEnd still gets correct slices.
func TestRecorderStartFromTaskStart(t *testing.T) {
	r, c := newFakeRecorder()
	c.set(at(0))
	r.Begin(1, 1)
	r.TaskStart(Task{ID: 7, Name: "f", Start: at(5)})
	r.TaskEnd(Task{ID: 7, Name: "f", End: at(9)})
	r.End()
	got := r.Tasks()
	if len(got) != 1 || !got[0].Start.Equal(at(5)) {
		t.Fatalf("Tasks = %+v, want start at 5 ms", got)
	}
}

func TestTraceGolden(t *testing.T) {
	r, c := newFakeRecorder()
	incAdd(r, c)
	var buf bytes.Buffer
	n, err := NewTrace(r).WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v; wrote %d bytes", n, err, buf.Len())
	}
	golden.Check(t, filepath.Join("testdata", "incadd.trace.json"), buf.Bytes())

	// The file must be JSON in the Trace Event Format: complete events
	// with microsecond times, one named thread per worker.
	var doc struct {
		TraceEvents []struct {
			Name string         `json:"name"`
			Ph   string         `json:"ph"`
			Ts   *float64       `json:"ts"`
			Dur  *float64       `json:"dur"`
			Pid  *int           `json:"pid"`
			Tid  *int           `json:"tid"`
			Args map[string]any `json:"args"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("trace is not valid JSON: %v", err)
	}
	threads := map[int]string{}
	var slices, errs int
	for _, e := range doc.TraceEvents {
		if e.Pid == nil || e.Tid == nil {
			t.Errorf("event %q lacks pid or tid", e.Name)
			continue
		}
		switch e.Ph {
		case "M":
			if e.Name == "thread_name" {
				threads[*e.Tid], _ = e.Args["name"].(string)
			}
		case "X":
			slices++
			if e.Ts == nil || e.Dur == nil {
				t.Errorf("X event %q lacks ts or dur", e.Name)
				continue
			}
			if e.Name == "add" {
				if *e.Ts != 1000600 || *e.Dur != 1000300 {
					t.Errorf("add: ts %v dur %v, want 1000600 1000300 µs", *e.Ts, *e.Dur)
				}
				if e.Args["error"] != `bad "sum" <3>` {
					t.Errorf("add: args %v lack the error", e.Args)
				}
				errs++
			}
			if threads[*e.Tid] == "" {
				t.Errorf("X event on unnamed thread %d", *e.Tid)
			}
		default:
			t.Errorf("unexpected phase %q", e.Ph)
		}
	}
	if slices != 3 || errs != 1 || threads[1] != "worker 0" || threads[2] != "worker 1" {
		t.Errorf("slices %d, errors %d, threads %v", slices, errs, threads)
	}
}

func TestMicros(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0", time.Microsecond: "1", 1500 * time.Nanosecond: "1.5",
		time.Second + 7: "1000000.007", -250 * time.Nanosecond: "-0.25",
	} {
		if got := string(micros(d)); got != want {
			t.Errorf("micros(%v) = %s, want %s", d, got, want)
		}
	}
}

func TestTimelineGolden(t *testing.T) {
	r, c := newFakeRecorder()
	incAdd(r, c)
	var buf bytes.Buffer
	if _, err := NewTimeline(r).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "incadd.svg"), buf.Bytes())
	checkXML(t, buf.Bytes())
	s := buf.String()
	for _, want := range []string{
		"<title>inc#1 (#1, worker 0): 1 s</title>",
		"error: bad &quot;sum&quot; &lt;3&gt;",
		">worker 1</text>",
		">2.0 s</text>", // the last tick
		"inc ×2, 2 s",   // legend
	} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

func TestTimelineEmpty(t *testing.T) {
	var buf bytes.Buffer
	if _, err := NewTimeline(nil).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	checkXML(t, buf.Bytes())
	if !strings.Contains(buf.String(), "no tasks") {
		t.Error("an empty timeline should say so")
	}
	// The default title counts in correct English: one worker is not
	// "1 workers".
	if !strings.Contains(buf.String(), ">0 tasks on 1 worker in ") {
		t.Errorf("title of an empty timeline:\n%s", buf.String())
	}
}

// TestTimelineControlCharacters checks that task names and errors with
// characters XML forbids (the ESC of a colored error message, invalid
// UTF-8) still give a well-formed picture.
func TestTimelineControlCharacters(t *testing.T) {
	r, _ := newFakeRecorder()
	r.Begin(1, 1)
	task := Task{ID: 1, Name: "na\x01me", Start: at(0), End: at(1), Err: errors.New("\x1b[31mred\x1b[0m \xff")}
	r.TaskStart(task)
	r.TaskEnd(task)
	r.End()
	var buf bytes.Buffer
	if _, err := NewTimeline(r).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	checkXML(t, buf.Bytes())
	if !strings.Contains(buf.String(), "error: \uFFFD[31mred") {
		t.Errorf("the error is not in the picture:\n%s", buf.String())
	}
}

// checkXML fails unless b is well-formed XML.
func checkXML(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
	}
}

func TestColorsStableAndDistinct(t *testing.T) {
	a := colors([]string{"inc", "add"})
	b := colors([]string{"add", "inc", "add"})
	if a["inc"] != b["inc"] || a["add"] != b["add"] {
		t.Errorf("colors depend on order: %v vs %v", a, b)
	}
	var names []string
	for i := range len(palette) {
		names = append(names, string(rune('a'+i)))
	}
	seen := map[string]bool{}
	for _, c := range colors(names) {
		seen[c] = true
	}
	if len(seen) != len(palette) {
		t.Errorf("%d names got %d colors", len(palette), len(seen))
	}
}

func TestGroup(t *testing.T) {
	for in, want := range map[string]string{
		"inc#2": "inc", "inc": "inc", "a#b": "a#b", "#3": "#3", "x#": "x#", "": "task", "map": "map",
	} {
		if got := group(in); got != want {
			t.Errorf("group(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		span  time.Duration
		step  time.Duration
		label string // label of the step itself
	}{
		{2001 * time.Millisecond, 500 * time.Millisecond, "0.5 s"},
		{8 * time.Second, time.Second, "1 s"},
		{16 * time.Second, 2 * time.Second, "2 s"},
		{3 * time.Millisecond, 500 * time.Microsecond, "0.5 ms"},
		{15 * time.Second, 2 * time.Second, "2 s"},
		{900 * time.Nanosecond, 200 * time.Nanosecond, "200 ns"},
	} {
		step := niceStep(c.span, 8)
		unit, suf := durfmt.UnitOf(c.span)
		if step != c.step || tickLabel(step, step, unit, suf) != c.label {
			t.Errorf("span %v: step %v label %q, want %v %q", c.span, step, tickLabel(step, step, unit, suf), c.step, c.label)
		}
	}
	if got := tickLabel(2500*time.Millisecond, 500*time.Millisecond, time.Millisecond, "ms"); got != "2500 ms" {
		t.Errorf("tickLabel = %q", got)
	}
}

// WriteFile leaves no file behind, and the old file intact, when the
// writer fails half way.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	r, c := newFakeRecorder()
	incAdd(r, c)
	if err := NewTrace(r).WriteFile(path); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	if !json.Valid(good) {
		t.Fatal("written trace is not valid JSON")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	boom := errors.New("boom")
	err := writeFileAtomic(path, failingWriterTo{boom})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	now, _ := os.ReadFile(path)
	if !bytes.Equal(now, good) {
		t.Error("a failed write changed the existing file")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temporary files left behind: %v", ents)
	}
	if err := NewTimeline(r).WriteFile(filepath.Join(dir, "missing", "x.svg")); err == nil {
		t.Error("writing into a missing directory should fail")
	}
}

type failingWriterTo struct{ err error }

func (f failingWriterTo) WriteTo(w io.Writer) (int64, error) {
	n, _ := io.WriteString(w, `{"half":`)
	return int64(n), f.err
}

// Observers are called from many workers at once; run under -race.
func TestConcurrentObservers(t *testing.T) {
	r := NewRecorder()
	pb := NewProgressBar(io.Discard)
	pb.Terminal = true // exercise the drawing goroutine too
	pb.Delay = 0
	pb.Interval = time.Millisecond
	o := Multi(r, pb, nil)
	const workers, per = 8, 200
	o.Begin(workers*per, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				task := Task{ID: int64(w*per + i), Name: "t", Worker: w, Start: time.Now()}
				o.TaskStart(task)
				task.End = time.Now()
				o.TaskEnd(task)
			}
		})
	}
	// Readers may look while the computation runs.
	wg.Go(func() {
		for range 20 {
			NewTrace(r).WriteTo(io.Discard)
			NewTimeline(r).WriteTo(io.Discard)
		}
	})
	wg.Wait()
	o.End()
	if n := len(r.Tasks()); n != workers*per {
		t.Errorf("%d tasks recorded, want %d", n, workers*per)
	}
	if pb.done.Load() != workers*per {
		t.Errorf("progress bar counted %d", pb.done.Load())
	}
}
