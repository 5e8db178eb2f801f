package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

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

// viewConfig holds view's flags.
type viewConfig struct {
	report         lineprof.ReportOptions
	unit, textFile string
}

// viewFlags defines view's flags, the one list of them.
func viewFlags() (*flag.FlagSet, *viewConfig) {
	cfg := &viewConfig{}
	fs := newFlagSet(commands["view"])
	fs.StringVar(&cfg.unit, "u", "", "")
	fs.BoolVar(&cfg.report.SkipZero, "z", false, "")
	fs.BoolVar(&cfg.report.Summarize, "summarize", false, "")
	fs.StringVar(&cfg.textFile, "T", "", "")
	return fs, cfg
}

func runView(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, cfg := viewFlags()
	files, err := parseFlags(commands["view"], fs, args, stdout)
	if err != nil {
		return err
	}
	if err := checkOutput(cfg.textFile); err != nil {
		return usageError("view: -T %s: %v", cfg.textFile, err)
	}
	if len(files) == 0 {
		return usageError("view: name at least one profile saved with lprun -D")
	}
	if cfg.unit != "" {
		u, err := strconv.ParseFloat(cfg.unit, 64)
		if err != nil || !(u > 0 && u <= 1e3) { // NaN too
			return usageError("view: -u %s: want a positive number of seconds such as 1e-6", cfg.unit)
		}
		cfg.report.Unit = u
	}
	// View has no child process nor temporary directory, only its -T
	// file, and a read from a slow file system or a write to a stdout
	// nobody reads must not hold the exit back: when interrupted, it
	// removes the -T file's temporary file and exits at once.
	defer context.AfterFunc(ctx, func() {
		atomicfile.Cleanup()
		os.Exit(report(stderr, nil, context.Cause(ctx)))
	})()
	var ps []*lineprof.Profile
	for _, f := range files {
		p, err := lineprof.Load(f)
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	merged, err := lineprof.Merge(ps...)
	if err != nil {
		var me *lineprof.SourceMismatchError
		if errors.As(err, &me) {
			me.NameA, me.NameB = files[me.A], files[me.B]
		}
		return fmt.Errorf("view: %w", err)
	}
	return writeProfile(merged, cfg.report, "", cfg.textFile, stdout)
}
