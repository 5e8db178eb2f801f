package main

import (
	"context"
	"flag"
	"io"
	"strconv"

	"github.com/gospeedup/speedup/internal/outpath"
	"github.com/gospeedup/speedup/lineprof"
)

const viewUsage = `usage: speedup view [flags] FILE...

View prints the line profiles saved by "speedup lprun -D FILE" in
line_profiler's layout, like "python -m line_profiler FILE". With several
files the profiles are merged: the hits and times of the same function's
lines add up.

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
	o, unit, textFile := &cfg.report, &cfg.unit, &cfg.textFile
	files, err := parseFlags(commands["view"], fs, args, stdout)
	if err != nil {
		return err
	}
	if err := outpath.Check(*textFile); err != nil {
		return usageError("view: -T %s: %v", *textFile, err)
	}
	if len(files) == 0 {
		return usageError("view: name at least one profile saved with lprun -D")
	}
	if *unit != "" {
		u, err := strconv.ParseFloat(*unit, 64)
		if err != nil || !(u > 0 && u <= 1e3) { // NaN too
			return usageError("view: -u %s: want a positive number of seconds such as 1e-6", *unit)
		}
		o.Unit = u
	}
	var ps []*lineprof.Profile
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := lineprof.Load(f)
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	return writeProfile(lineprof.Merge(ps...), *o, "", *textFile, stdout)
}
