package timeit

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
)

// Sample is one run: Loops executions of the statement taking Elapsed in
// total, with Allocs heap allocations and Bytes bytes allocated in total
// over the run (not per loop).
type Sample struct {
	Loops   int
	Elapsed time.Duration
	Allocs  uint64
	Bytes   uint64
}

// Sampler performs one run of loops loops, running the setup first, outside
// the timing, and reports it.
type Sampler interface {
	Sample(loops int) (Sample, error)
}

// SamplerFunc adapts a function to the Sampler interface.
type SamplerFunc func(loops int) (Sample, error)

// Sample calls f(loops).
func (f SamplerFunc) Sample(loops int) (Sample, error) { return f(loops) }

// Options are IPython's %timeit options. The zero value means IPython's
// defaults.
type Options struct {
	// Number is the number of loops per run (IPython's -n). 0 means
	// autorange: the first of 1, 10, 100, ... loops (up to 10^9) whose run
	// takes at least 0.2 s.
	Number int
	// Repeat is the number of runs (IPython's -r). 0 means 7.
	Repeat int
	// Precision is the number of significant digits of the printed times
	// (IPython's -p). 0 means 3.
	Precision int
	// Progress, if non-nil, receives a one-line progress display, redrawn
	// in place with a carriage return, once the measurement has lasted
	// about a second; the line is erased at the end. The caller decides
	// whether the writer is a terminal: the display uses "\r" and the ANSI
	// erase-line sequence.
	Progress io.Writer
	// Label names the measurement on the progress line ("timeit n=10000",
	// "scaling P=2"), so that a sweep shows which point is being measured.
	// "" means "timeit".
	Label string
	// DisableGC turns the garbage collector off during the runs of Func
	// and FuncSetup (the runtime.GC before each run still happens), like
	// speedup timeit --gc=off. Measure ignores it: the Sampler owns the
	// process that runs the statement.
	DisableGC bool
}

// DefaultRepeat is IPython's default number of runs.
const DefaultRepeat = 7

// autorangeMin is IPython's autorange target: the first loop count whose
// run takes at least this long is used.
const autorangeMin = 200 * time.Millisecond

// autorangeSteps bounds autorange to 10^0 .. 10^9 loops, as IPython's
// range(0, 10).
const autorangeSteps = 10

func (o Options) withDefaults() (Options, error) {
	if o.Number < 0 {
		return o, fmt.Errorf("timeit: loop count %d is negative; use 0 for automatic", o.Number)
	}
	if o.Repeat < 0 {
		return o, fmt.Errorf("timeit: repeat count %d is negative; use 0 for the default %d", o.Repeat, DefaultRepeat)
	}
	if o.Precision < 0 {
		return o, fmt.Errorf("timeit: precision %d is negative; use 0 for the default %d", o.Precision, DefaultPrecision)
	}
	if o.Repeat == 0 {
		o.Repeat = DefaultRepeat
	}
	if o.Precision == 0 {
		o.Precision = DefaultPrecision
	}
	return o, nil
}

// Measure is the engine of %timeit. With o.Number == 0 it first finds the
// loop count as IPython does (runs of 1, 10, 100, ... loops until one takes
// at least 0.2 s; those calibration runs are discarded, as IPython discards
// them), then takes o.Repeat runs of that many loops. An error from the
// Sampler is returned unchanged, so that a caller's error (a compile error
// or a panic located in a snippet) reaches the user as it was written.
func Measure(s Sampler, o Options) (*Result, error) {
	if s == nil {
		return nil, errors.New("timeit: nil Sampler")
	}
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	prog := startProgress(o.Progress, o.Label)
	defer prog.stop()

	take := func(loops int) (Sample, error) {
		smp, err := s.Sample(loops)
		if err != nil {
			return Sample{}, err
		}
		if smp.Loops == 0 {
			smp.Loops = loops
		}
		if smp.Loops != loops {
			return Sample{}, fmt.Errorf("timeit: sampler ran %d loops, asked for %d", smp.Loops, loops)
		}
		if smp.Elapsed < 0 {
			return Sample{}, fmt.Errorf("timeit: sampler reported a negative time %v", smp.Elapsed)
		}
		return smp, nil
	}

	number := o.Number
	if number == 0 {
		number = 1
		for i := 0; i < autorangeSteps; i++ {
			prog.set(fmt.Sprintf("calibrating: %s loop%s", thousands(int64(number)), plural(number)))
			smp, err := take(number)
			if err != nil {
				return nil, err
			}
			if smp.Elapsed >= autorangeMin || i == autorangeSteps-1 {
				break
			}
			number *= 10
		}
	}

	samples := make([]Sample, 0, o.Repeat)
	for i := 0; i < o.Repeat; i++ {
		prog.set(fmt.Sprintf("run %d of %d, %s loop%s each", i+1, o.Repeat, thousands(int64(number)), plural(number)))
		smp, err := take(number)
		if err != nil {
			return nil, err
		}
		samples = append(samples, smp)
	}
	return NewResult(samples, o.Precision)
}

// progressDelay is how long a measurement runs before the progress line
// appears: short measurements should print nothing extra. A variable so
// that tests can show the line without waiting.
var progressDelay = time.Second

// progressTick is how often the progress line is redrawn, so that its
// clock moves even while one long run is under way.
var progressTick = 250 * time.Millisecond

// progress draws "<label>: <state> (<elapsed>)" on a terminal line from its
// own goroutine, because a single run can last seconds and the line should
// keep moving meanwhile. Drawing does not allocate (the ticker is made up
// front, the line is built in a reused buffer), because Func counts every
// allocation of the process during a run and the display must not show up
// in allocs/loop.
type progress struct {
	w     io.Writer
	label string
	start time.Time
	tick  *time.Ticker
	done  chan struct{}
	wg    sync.WaitGroup

	mu    sync.Mutex
	state string
	buf   []byte
	drawn bool
}

func startProgress(w io.Writer, label string) *progress {
	if label == "" {
		label = "timeit"
	}
	p := &progress{w: w, label: label, start: time.Now(), done: make(chan struct{})}
	if w == nil {
		return p
	}
	p.buf = make([]byte, 0, 128)
	p.tick = time.NewTicker(progressTick)
	p.wg.Add(1)
	go p.loop()
	return p
}

func (p *progress) loop() {
	defer p.wg.Done()
	for {
		select {
		case <-p.done:
			return
		case <-p.tick.C:
			if time.Since(p.start) >= progressDelay {
				p.draw()
			}
		}
	}
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := append(p.buf[:0], "\r\x1b[K"...)
	b = append(b, p.label...)
	b = append(b, ": "...)
	b = append(b, p.state...)
	b = append(b, " ("...)
	b = strconv.AppendFloat(b, time.Since(p.start).Seconds(), 'f', 1, 64)
	b = append(b, " s)"...)
	p.buf = b
	_, _ = p.w.Write(b) // a failing terminal must not fail the measurement
	p.drawn = true
}

// set changes the state shown; it is called between runs, outside the
// timing.
func (p *progress) set(state string) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	p.state = state
	p.mu.Unlock()
}

// stop ends the display and erases the line if anything was drawn, so the
// result line that follows starts on a clean line.
func (p *progress) stop() {
	if p.w == nil {
		return
	}
	p.tick.Stop()
	close(p.done)
	p.wg.Wait()
	if p.drawn {
		_, _ = io.WriteString(p.w, "\r\x1b[K")
	}
}
