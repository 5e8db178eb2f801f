package diag

import (
	"slices"
	"sync"
	"time"
)

// Kind says which Observer method an Event records.
type Kind int

// The kinds of events, one per Observer method.
const (
	// KindBegin records Begin.
	KindBegin Kind = iota
	// KindTaskStart records TaskStart.
	KindTaskStart
	// KindTaskEnd records TaskEnd.
	KindTaskEnd
	// KindEnd records End.
	KindEnd
)

// String returns the name of the Observer method that k records.
func (k Kind) String() string {
	switch k {
	case KindBegin:
		return "Begin"
	case KindTaskStart:
		return "TaskStart"
	case KindTaskEnd:
		return "TaskEnd"
	case KindEnd:
		return "End"
	}
	return "Kind(?)"
}

// Event is one call to an Observer, as a Recorder keeps it.
type Event struct {
	// Kind says which method was called.
	Kind Kind
	// Time is when the Recorder received the event, from its clock. Task
	// events carry their own times in Task; Time matters for Begin and End,
	// which have no other timestamp.
	Time time.Time
	// Task is the task of a TaskStart or TaskEnd event.
	Task Task
	// Tasks and Workers are Begin's arguments.
	Tasks, Workers int
}

// Recorder is an Observer that keeps every event in memory, in the order it
// received them. It backs the Trace and Timeline writers and lets tests
// check what a computation reported. It is safe for concurrent use.
//
// A Recorder may observe several computations in a row; its events then
// cover all of them, and the written trace or timeline shows them on one
// time axis.
type Recorder struct {
	// now stamps Begin and End; tests replace it so that golden files do
	// not depend on the wall clock.
	now func() time.Time

	mu     sync.Mutex
	events []Event
}

// NewRecorder returns an empty Recorder that stamps Begin and End with
// time.Now.
func NewRecorder() *Recorder {
	return &Recorder{now: time.Now}
}

func (r *Recorder) add(e Event) {
	r.mu.Lock()
	if r.now == nil {
		// A zero Recorder works too: default the clock on first use.
		r.now = time.Now
	}
	if e.Time.IsZero() {
		e.Time = r.now()
	}
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// Begin records the start of a computation.
func (r *Recorder) Begin(tasks, workers int) {
	r.add(Event{Kind: KindBegin, Tasks: tasks, Workers: workers})
}

// TaskStart records a task's start.
func (r *Recorder) TaskStart(t Task) {
	r.add(Event{Kind: KindTaskStart, Task: t, Time: t.Start})
}

// TaskEnd records a task's end.
func (r *Recorder) TaskEnd(t Task) {
	r.add(Event{Kind: KindTaskEnd, Task: t, Time: t.End})
}

// End records the end of a computation.
func (r *Recorder) End() {
	r.add(Event{Kind: KindEnd})
}

// Events returns a copy of the events recorded so far, in arrival order.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Reset forgets all recorded events, so that the Recorder can observe a new
// computation from scratch.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
}

// Tasks returns the tasks that ended, each with its Start and End, sorted
// by start time (then worker, then ID) so that the result is deterministic
// whatever order the workers reported in.
func (r *Recorder) Tasks() []Task {
	return r.Summary().Tasks
}

// Summary is what a Recorder saw, in the shape the writers need.
type Summary struct {
	// Begin and End bound the observed computations: the first Begin (or
	// the earliest task start) and the last End (or the latest task end).
	Begin, End time.Time
	// Workers is the largest worker count passed to Begin, or one more
	// than the largest worker index seen, whichever is larger.
	Workers int
	// Tasks are the ended tasks, sorted as by Recorder.Tasks.
	Tasks []Task
}

// Summary returns the recorded computations in a form ready to draw.
func (r *Recorder) Summary() Summary {
	evs := r.Events()
	var s Summary
	// Observers are promised a Start in TaskEnd, but a reporter that leaves
	// it zero should still draw correctly: take the start from the matching
	// TaskStart. Task IDs are unique only within one computation, so the
	// lookup is reset at each Begin.
	starts := map[int64]time.Time{}
	for _, e := range evs {
		switch e.Kind {
		case KindBegin:
			if s.Begin.IsZero() || e.Time.Before(s.Begin) {
				s.Begin = e.Time
			}
			s.Workers = max(s.Workers, e.Workers)
			clear(starts)
		case KindEnd:
			if e.Time.After(s.End) {
				s.End = e.Time
			}
		case KindTaskStart:
			starts[e.Task.ID] = e.Task.Start
		case KindTaskEnd:
			t := e.Task
			if t.Start.IsZero() {
				t.Start = starts[t.ID]
			}
			if t.Start.IsZero() {
				t.Start = t.End
			}
			delete(starts, t.ID)
			s.Tasks = append(s.Tasks, t)
		}
	}
	for _, t := range s.Tasks {
		if s.Begin.IsZero() || t.Start.Before(s.Begin) {
			s.Begin = t.Start
		}
		if t.End.After(s.End) {
			s.End = t.End
		}
		s.Workers = max(s.Workers, t.Worker+1)
	}
	slices.SortStableFunc(s.Tasks, func(a, b Task) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if a.Worker != b.Worker {
			return a.Worker - b.Worker
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return s
}
