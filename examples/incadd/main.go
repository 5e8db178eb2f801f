// Command incadd runs the tutorial's inc/add example twice: as plain calls
// (three sleeps in a row) and as a lazy task graph (the two incs at once),
// and prints both times. It can also write the graph (Graphviz DOT), a
// Chrome trace and an SVG timeline of the graph's run. A progress bar shows
// on stderr when it is a terminal. Files are written silently, so that the
// output is the same whatever files are asked for.
//
//	go run ./examples/incadd [-sleep 1s] [-dot FILE] [-trace FILE] [-timeline FILE]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gospeedup/speedup/diag"
	"github.com/gospeedup/speedup/examples/incadd/incadd"
	"github.com/gospeedup/speedup/internal/atomicfile"
	"github.com/gospeedup/speedup/lazy"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "incadd:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	sleep    time.Duration
	workers  int
	dot      string
	trace    string
	timeline string
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("incadd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.sleep, "sleep", time.Second, "how long each inc and add call sleeps")
	fs.IntVar(&o.workers, "workers", 0, "graph workers (0: GOMAXPROCS)")
	fs.StringVar(&o.dot, "dot", "", "write the graph as Graphviz DOT to `FILE` (render: dot -Tsvg FILE)")
	fs.StringVar(&o.trace, "trace", "", "write a Chrome trace of the graph's run to `FILE` (open in ui.perfetto.dev)")
	fs.StringVar(&o.timeline, "timeline", "", "write an SVG timeline of the graph's run to `FILE`")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.sleep < 0 {
		return o, fmt.Errorf("-sleep must not be negative")
	}
	// Checked before the seconds of sleeping, not after.
	for _, out := range []struct{ flag, path string }{{"-dot", o.dot}, {"-trace", o.trace}, {"-timeline", o.timeline}} {
		if out.path == "" {
			continue
		}
		if err := atomicfile.Check(out.path); err != nil {
			return o, fmt.Errorf("%s %s: %v", out.flag, out.path, err)
		}
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	ctx := context.Background()

	start := time.Now()
	v := incadd.Serial(o.sleep)
	serial := time.Since(start)
	fmt.Fprintf(stdout, "serial: add(inc(1), inc(2)) = %d in %.2f s\n", v, serial.Seconds())

	z := incadd.Graph(o.sleep)
	if o.dot != "" {
		f, err := os.Create(o.dot)
		if err != nil {
			return err
		}
		err = lazy.WriteDOT(f, z)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}

	// One recorder feeds both the trace and the timeline; the progress bar
	// decides for itself whether to draw (terminal, run over a second).
	rec := diag.NewRecorder()
	obs := diag.Multi(rec, diag.NewProgressBar(os.Stderr))
	start = time.Now()
	v, err = lazy.Compute(ctx, z, lazy.Workers(o.workers), lazy.Observe(obs))
	if err != nil {
		return err
	}
	graph := time.Since(start)
	// "Workers(n)" rather than "n workers": the words stay the same for
	// every n, which keeps the documented output comparable.
	fmt.Fprintf(stdout, "graph:  add(inc(1), inc(2)) = %d in %.2f s with Workers(%d), %.2fx faster\n",
		v, graph.Seconds(), rec.Summary().Workers, serial.Seconds()/graph.Seconds())

	if o.trace != "" {
		if err := diag.NewTrace(rec).WriteFile(o.trace); err != nil {
			return err
		}
	}
	if o.timeline != "" {
		tl := diag.NewTimeline(rec)
		tl.Title = fmt.Sprintf("inc/add graph, -sleep %v", o.sleep)
		if err := tl.WriteFile(o.timeline); err != nil {
			return err
		}
	}
	return nil
}
