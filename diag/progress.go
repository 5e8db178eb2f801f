package diag

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"
)

// ProgressBar is an Observer that draws a progress bar, like Dask's
// ProgressBar:
//
//	[########################################] | 100% Completed |  2.01 s
//
// It stays silent for computations shorter than Delay (about a second), so
// that quick calls do not flash a bar, and when its writer is not a
// terminal, so that logs and pipes do not fill with carriage returns. It
// redraws at most every Interval and finishes with one clean line.
//
// A ProgressBar observes one computation at a time; it may be reused for
// the next one.
type ProgressBar struct {
	// Terminal says whether to draw at all. NewProgressBar sets it to
	// whether the writer is a terminal; set it before the computation
	// begins to force the bar on or off (tests, or a user's flag).
	Terminal bool
	// Delay is how long a computation must run before the bar appears.
	Delay time.Duration
	// Interval is the least time between two redraws.
	Interval time.Duration
	// Width is the number of cells of the bar.
	Width int

	w io.Writer
	// now and tick are the clock; tests replace them with a fake one so
	// that the threshold and rate rules can be checked without sleeping.
	now  func() time.Time
	tick func(d time.Duration) (<-chan time.Time, func())

	tasks atomic.Int64 // expected tasks, from Begin (0 when unknown)
	done  atomic.Int64 // ended tasks

	mu      sync.Mutex // guards what follows and serializes writes to w
	start   time.Time
	last    time.Time // when the bar was last drawn; zero if never
	lastLen int       // length of the last line, to blank leftovers
	stop    chan struct{}
	stopped chan struct{}
}

// NewProgressBar returns a ProgressBar that draws on w (typically
// os.Stderr), enabled only when w is an *os.File on a terminal.
func NewProgressBar(w io.Writer) *ProgressBar {
	return &ProgressBar{
		Terminal: IsTerminal(w),
		Delay:    time.Second,
		Interval: 100 * time.Millisecond,
		Width:    40,
		w:        w,
		now:      time.Now,
		tick: func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		},
	}
}

// IsTerminal reports whether w is a file that refers to a terminal: the
// rule by which NewProgressBar decides to draw.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && f != nil && term.IsTerminal(int(f.Fd()))
}

// Begin starts the clock and, when the bar is enabled, a goroutine that
// redraws it; drawing waits until Delay has passed.
func (p *ProgressBar) Begin(tasks, workers int) {
	p.tasks.Store(int64(tasks))
	p.done.Store(0)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.start = p.now()
	p.last = time.Time{}
	p.lastLen = 0
	if !p.Terminal || p.stop != nil {
		return
	}
	// The bar is redrawn from its own goroutine rather than from TaskEnd
	// so that the elapsed time keeps moving while long tasks run, and so
	// that the workers never wait on a terminal write.
	p.stop = make(chan struct{})
	p.stopped = make(chan struct{})
	interval := p.Interval
	if interval <= 0 {
		interval = 100 * time.Millisecond // a ticker needs a positive period
	}
	c, stopTick := p.tick(interval)
	go func(stop, stopped chan struct{}) {
		defer close(stopped)
		defer stopTick()
		for {
			select {
			case <-stop:
				return
			case <-c:
				p.redraw(false)
			}
		}
	}(p.stop, p.stopped)
}

// TaskStart does nothing: the bar counts finished tasks.
func (p *ProgressBar) TaskStart(Task) {}

// TaskEnd counts a finished task.
func (p *ProgressBar) TaskEnd(Task) { p.done.Add(1) }

// End stops redrawing and, if the bar was shown, draws its final state and
// ends the line, so that later output starts on a fresh line.
func (p *ProgressBar) End() {
	p.mu.Lock()
	stop, stopped := p.stop, p.stopped
	p.stop, p.stopped = nil, nil
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-stopped
	}
	p.redraw(true)
}

// redraw draws the bar if the rules allow: enabled, past Delay, and not
// drawn within Interval (the final draw ignores the interval so that the
// last state is always shown, but is skipped for a quick computation that
// never showed a bar).
func (p *ProgressBar) redraw(final bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.Terminal || p.start.IsZero() {
		return
	}
	now := p.now()
	elapsed := now.Sub(p.start)
	if elapsed < p.Delay {
		return
	}
	// A quarter of slack: ticker ticks jitter, and a tick that arrives a
	// hair early must not be skipped (the bar would stutter).
	if !final && !p.last.IsZero() && now.Sub(p.last) < p.Interval-p.Interval/4 {
		return
	}
	line := p.line(elapsed)
	pad := ""
	if n := p.lastLen - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	end := ""
	if final {
		end = "\n"
		p.start = time.Time{} // one final line per computation
	}
	fmt.Fprintf(p.w, "\r%s%s%s", line, pad, end)
	p.last = now
	p.lastLen = len(line)
}

// line formats the bar for the current counts.
func (p *ProgressBar) line(elapsed time.Duration) string {
	width := p.Width
	if width <= 0 {
		width = 40
	}
	done, total := p.done.Load(), p.tasks.Load()
	if total <= 0 {
		// Without a total there is no fraction to draw; say how many tasks
		// ended instead, still with the elapsed time.
		return fmt.Sprintf("%d tasks done | %s", done, formatElapsed(elapsed))
	}
	frac := min(float64(done)/float64(total), 1)
	n := int(frac * float64(width))
	return fmt.Sprintf("[%-*s] | %3d%% Completed | %s", width, strings.Repeat("#", n), int(frac*100), formatElapsed(elapsed))
}

// formatElapsed prints a duration the way Dask's bar does: seconds with
// two decimals, then minutes and hours for long runs.
func formatElapsed(d time.Duration) string {
	s := d.Seconds()
	switch {
	case s < 60:
		return fmt.Sprintf("%5.2f s", s)
	case s < 3600:
		m := int(s / 60)
		return fmt.Sprintf("%2d min %4.1f s", m, s-float64(m)*60)
	}
	h := int(s / 3600)
	m := int((s - float64(h)*3600) / 60)
	return fmt.Sprintf("%d hr %2d min %4.1f s", h, m, s-float64(h)*3600-float64(m)*60)
}
