package child

// The wire types of the parent/child protocol, compiled into both sides:
// speedup (package gorun, through package child's aliases) and every child
// program, into which this file is copied with its package clause
// substituted. Requests are JSON lines on file descriptor 3, replies JSON
// lines on file descriptor 4. Identifiers start with _speedup_ so that they
// clash with nothing in the user's package.

// _speedup_request is one order of the parent.
type _speedup_request struct {
	// Timeit asks for one timing run (timeit and scaling).
	Timeit *_speedup_timeitRequest `json:"timeit,omitempty"`
	// Lprun asks for a profiling run (lprun: statement, --run, --test).
	Lprun *_speedup_lprunRequest `json:"lprun,omitempty"`
}

// _speedup_timeitRequest runs the setup and then exactly Loops loops of
// the statement.
type _speedup_timeitRequest struct {
	Loops int  `json:"loops"`
	GCOff bool `json:"gc_off,omitempty"`
	// Params are the values of the snippet's parameters, as JSON text.
	Params map[string]string `json:"params,omitempty"`
}

// _speedup_lprunRequest is what lprun's harness does: count hits
// (Mode "hits", in the instrumented build) or measure time under the
// samplers (Mode "time", in the plain build).
type _speedup_lprunRequest struct {
	Mode string `json:"mode"`
	// Repeat is how many more runs the hits mode makes, for their time.
	Repeat int `json:"repeat,omitempty"`
	// Targets are the profiled functions' line ranges, for the samplers.
	Targets []_speedup_target `json:"targets,omitempty"`
	// CPUProfile is the file receiving the CPU profile, taken at HZ;
	// with RotateCPU, the samples of each pair of batches b, b+1 go to
	// CPUProfile.b instead (the first file keeps those before them).
	CPUProfile string `json:"cpu_profile,omitempty"`
	HZ         int    `json:"hz,omitempty"`
	RotateCPU  bool   `json:"rotate_cpu,omitempty"`
	// MaxNS bounds the repeated runs of the time mode, MaxRuns their
	// number; IntervalNS is the period of the stack snapshots.
	MaxNS      int64 `json:"max_ns,omitempty"`
	MaxRuns    int   `json:"max_runs,omitempty"`
	IntervalNS int64 `json:"interval_ns,omitempty"`
	// BatchNS is the least length of a batch of runs: batches alternate
	// with and without stack snapshots (on, off, off, on, ...), so that
	// the snapshots' cost is measured and the spread of the batches gives
	// the error. The runs stop at MaxNS, or earlier once MinBatches
	// batches are done and every target of Need has MinSamples snapshot
	// samples.
	BatchNS    int64 `json:"batch_ns,omitempty"`
	MinBatches int   `json:"min_batches,omitempty"`
	MinSamples int   `json:"min_samples,omitempty"`
	Need       []int `json:"need,omitempty"`
	// Loop asks a program (--run, --test) to repeat its main (or its
	// tests) inside the one process, in batches, as a statement's runs
	// are; NoSnap asks a program run once per process for no snapshots
	// (an "off" batch of its own).
	Loop   bool `json:"loop,omitempty"`
	NoSnap bool `json:"no_snap,omitempty"`
	// Warmup asks for one unmeasured run before the batches.
	Warmup bool `json:"warmup,omitempty"`
}

// _speedup_target is a profiled function's line range in its file.
type _speedup_target struct {
	File       string `json:"file"`
	Start, End int
}

// _speedup_reply is the child's answer to one request.
type _speedup_reply struct {
	// Error is a failure of the harness, not of the user's code.
	Error string `json:"error,omitempty"`
	// Panic is a panic of the user's code, recovered.
	Panic  *_speedup_panic       `json:"panic,omitempty"`
	Timeit *_speedup_timeitReply `json:"timeit,omitempty"`
	Lprun  *_speedup_lprunReply  `json:"lprun,omitempty"`
}

// _speedup_panic is a recovered panic, located in the snippet's blocks.
type _speedup_panic struct {
	Value string `json:"value"`
	// File and Line are the innermost frame in a snippet block ("stmt",
	// "setup"); File is empty when no frame was in one.
	File  string `json:"file,omitempty"`
	Line  int    `json:"line,omitempty"`
	Stack string `json:"stack"`
}

// _speedup_timeitReply holds the totals of one timing run.
type _speedup_timeitReply struct {
	Loops  int    `json:"loops"`
	Ns     int64  `json:"ns"`
	Allocs uint64 `json:"allocs"`
	Bytes  uint64 `json:"bytes"`
}

// _speedup_lprunReply holds lprun's measurements.
type _speedup_lprunReply struct {
	RunNS  []int64             `json:"run_ns"`
	Counts map[string][]uint64 `json:"counts,omitempty"`
	Times  map[string][]int64  `json:"times,omitempty"`
	Goexit bool                `json:"goexit,omitempty"`
	// Active counts the profiled activations still running at the end.
	Active int64 `json:"active,omitempty"`
	// Stray counts the goroutines that the statement started and that
	// were still running a second after it returned.
	Stray int `json:"stray,omitempty"`
	// Batches are the time mode's batches of runs, in order.
	Batches []_speedup_batch `json:"batches,omitempty"`
	// CapHit says that MaxNS ended the runs before the evidence asked
	// for was there.
	CapHit bool `json:"cap_hit,omitempty"`
	// LoopErr says why a program's main (or tests) could not be
	// repeated inside one process; the batches are then void.
	LoopErr string `json:"loop_err,omitempty"`
}

// _speedup_batch is one batch of timing runs: their number and total
// time and, when the stack snapshots were on (Snap), the snapshots taken
// during them (at IntervalNS), their pauses, and what they found. CPU
// profile samples carry the batch's index as the label "batch".
type _speedup_batch struct {
	Snap       bool                `json:"snap"`
	Runs       int                 `json:"runs"`
	NS         int64               `json:"ns"`
	IntervalNS int64               `json:"interval_ns,omitempty"`
	Samples    int                 `json:"samples,omitempty"`
	PausedNS   int64               `json:"paused_ns,omitempty"`
	Lines      []_speedup_lineTime `json:"lines,omitempty"`
}

// _speedup_lineTime counts the snapshots that found a goroutine on Line of
// target Target, parked or running.
type _speedup_lineTime struct {
	Target int  `json:"target"`
	Line   int  `json:"line"`
	Parked bool `json:"parked"`
	N      int  `json:"n"`
}
