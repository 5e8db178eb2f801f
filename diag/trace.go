package diag

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Trace is an Observer that writes what it saw as a Chrome trace-event JSON
// file (the Trace Event Format), which Perfetto (ui.perfetto.dev) and
// chrome://tracing open: one track per worker and one slice per task, with
// its name, ID and error. It is Dask's task-stream profile, in a viewer that
// zooms to single tasks.
//
// Each task becomes a complete ("X") event with its start (ts) and duration
// (dur) in microseconds since the computation began; each worker becomes a
// thread named "worker N" (thread_name metadata). Worker N is written as
// tid N+1, because Perfetto treats tid 0 specially and used to merge it with
// tid 1; the names still say which worker is which.
//
// Create a Trace with NewTrace: it needs a Recorder.
type Trace struct {
	*Recorder
	// Process names the process track in the viewer; "speedup" by default.
	Process string
}

// NewTrace returns a Trace that reads the events of r, or of a new Recorder
// when r is nil. Observe with the Trace itself or with r (not both, or each
// event is recorded twice); sharing r with a Timeline writes both pictures
// of one run.
func NewTrace(r *Recorder) *Trace {
	if r == nil {
		r = NewRecorder()
	}
	return &Trace{Recorder: r}
}

// traceEvent is one entry of traceEvents. Field order fixes the JSON key
// order, which keeps the output stable for golden tests and diffs.
type traceEvent struct {
	Name string          `json:"name"`
	Cat  string          `json:"cat,omitempty"`
	Ph   string          `json:"ph"`
	Ts   json.RawMessage `json:"ts,omitempty"`
	Dur  json.RawMessage `json:"dur,omitempty"`
	Pid  int             `json:"pid"`
	Tid  int             `json:"tid"`
	Args map[string]any  `json:"args,omitempty"`
}

// micros formats d in microseconds with nanosecond precision and no
// exponent, as the format expects (and without float rounding noise).
func micros(d time.Duration) json.RawMessage {
	s := strconv.FormatInt(int64(d/time.Microsecond), 10)
	if ns := int64(d % time.Microsecond); ns != 0 {
		if ns < 0 {
			ns = -ns
		}
		frac := fmt.Sprintf("%03d", ns)
		for frac[len(frac)-1] == '0' {
			frac = frac[:len(frac)-1]
		}
		if d < 0 && d > -time.Microsecond {
			s = "-0"
		}
		s += "." + frac
	}
	return json.RawMessage(s)
}

// WriteTo writes the trace as JSON to w. It implements io.WriterTo.
func (t *Trace) WriteTo(w io.Writer) (int64, error) {
	s := t.Summary()
	cw := &countWriter{w: w}
	proc := t.Process
	if proc == "" {
		proc = "speedup"
	}
	const pid = 1
	evs := []traceEvent{{Name: "process_name", Ph: "M", Pid: pid, Tid: 1, Args: map[string]any{"name": proc}}}
	for i := range s.Workers {
		evs = append(evs,
			traceEvent{Name: "thread_name", Ph: "M", Pid: pid, Tid: i + 1, Args: map[string]any{"name": fmt.Sprintf("worker %d", i)}},
			// Without a sort index viewers order threads by name, which puts
			// "worker 10" before "worker 2".
			traceEvent{Name: "thread_sort_index", Ph: "M", Pid: pid, Tid: i + 1, Args: map[string]any{"sort_index": i}},
		)
	}
	for _, task := range s.Tasks {
		args := map[string]any{"id": task.ID}
		if task.Err != nil {
			args["error"] = task.Err.Error()
		}
		name := task.Name
		if name == "" {
			name = "task"
		}
		evs = append(evs, traceEvent{
			Name: name, Cat: "task", Ph: "X",
			Ts:  micros(task.Start.Sub(s.Begin)),
			Dur: micros(task.End.Sub(task.Start)),
			Pid: pid, Tid: task.Worker + 1, Args: args,
		})
	}
	io.WriteString(cw, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n")
	for i, e := range evs {
		// An Encoder rather than json.Marshal, to keep "<" and ">" in
		// error messages readable instead of escaped for HTML.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(e); err != nil {
			return cw.n, err
		}
		line := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
		cw.Write(line)
		if i < len(evs)-1 {
			io.WriteString(cw, ",")
		}
		io.WriteString(cw, "\n")
	}
	io.WriteString(cw, "]}\n")
	return cw.n, cw.err
}

// WriteFile writes the trace to the named file, atomically: the file is
// either the whole trace or left as it was.
func (t *Trace) WriteFile(path string) error {
	return writeFileAtomic(path, t)
}
