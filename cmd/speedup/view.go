package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/gospeedup/speedup/internal/atomicfile"
	"github.com/gospeedup/speedup/lineprof"
)

const viewUsage = `usage: speedup view [flags] FILE...

View prints the line profiles saved by "speedup lprun -D FILE" in
line_profiler's layout, like "python -m line_profiler FILE". With several
files the profiles are merged: the hits and times of the same function's
lines add up; a function whose source differs between the files (it was
edited between the runs) is refused, since its line numbers no longer name
the same statements.

Profiles are checked as untrusted input: a FIFO or device is refused,
spans, hits and times must be sane, source files are read only when
regular and within 64 MB, and control characters in the printed source
are escaped.

Flags:
  -u UNIT       output unit in seconds (default 1e-09)
  -z            skip functions that never ran
  --summarize   first print one line per function with its total time
  -T FILE       also write the text report to FILE

Examples:

	speedup lprun -C ./examples/distance -f distance -D prof.json 'distance()'
	speedup view prof.json
	speedup view -u 1e-6 run1.json run2.json
`

func init() {
	register(&command{
		name:  "view",
		short: "print a saved line profile (from lprun -D), merging several",
		usage: viewUsage,
		run:   runView,
	})
}

func runView(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := commands["view"]
	fs := newFlagSet(c, stderr)
	var o lineprof.ReportOptions
	unit := fs.String("u", "", "")
	fs.BoolVar(&o.SkipZero, "z", false, "")
	fs.BoolVar(&o.Summarize, "summarize", false, "")
	textFile := fs.String("T", "", "")
	files, err := parseFlags(c, fs, args, stdout)
	if err != nil {
		return report(stderr, err)
	}
	if err := checkOutputDir(*textFile); err != nil {
		return report(stderr, usageError("view: -T %s: %v", *textFile, err))
	}
	if len(files) == 0 {
		return report(stderr, usageError("view: name at least one profile saved with lprun -D"))
	}
	if *unit != "" {
		u, err := strconv.ParseFloat(*unit, 64)
		if err != nil || !(u > 0 && u <= 1e3) { // NaN too
			return report(stderr, usageError("view: -u %s: want a positive number of seconds such as 1e-6", *unit))
		}
		o.Unit = u
	}
	stop := cleanupOnSignal(stderr)
	defer stop()
	var ps []*lineprof.Profile
	for _, f := range files {
		p, err := lineprof.Load(f)
		if err != nil {
			return report(stderr, err)
		}
		ps = append(ps, p)
	}
	merged, err := lineprof.Merge(ps...)
	if err != nil {
		var me *lineprof.SourceMismatchError
		if errors.As(err, &me) {
			me.NameA, me.NameB = files[me.A], files[me.B]
		}
		return report(stderr, fmt.Errorf("view: %w", err))
	}
	return report(stderr, writeProfile(merged, o, "", *textFile, stdout))
}

// cleanupOnSignal makes SIGINT, SIGTERM and SIGHUP remove the temporary
// file of an output being written (atomicfile.Cleanup) and exit with the
// shell's status for the signal (130, 143, 129): view has no child process
// nor temporary directory, only its -T file, and a read from a slow file
// system must not hold the exit back. The returned function stops it.
func cleanupOnSignal(stderr io.Writer) (stop func()) {
	sigs := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		select {
		case s := <-sigs:
			atomicfile.Cleanup()
			fmt.Fprintf(stderr, "speedup: %v\n", s)
			os.Exit(128 + int(s.(syscall.Signal)))
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}
