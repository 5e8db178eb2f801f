package lprun

import (
	"fmt"
	"os"
	"strconv"

	"github.com/google/pprof/profile"
)

// cpuFile is a CPU profile that plain runs wrote: of the batch batch, or,
// when batch is -1, of batches that its samples' labels name. When label
// is set, a sample's batch label wins over batch (a goroutine of an
// earlier batch still running), and batch is for the samples without one.
type cpuFile struct {
	path  string
	batch int
	label bool
}

// batchFiles returns the CPU profiles of a process that made batches
// runs in batches (see child's rotate): path for what ran before them,
// path.b for batch b.
func batchFiles(path string, batches int) []cpuFile {
	files := []cpuFile{{path, -1, true}}
	for b := range batches {
		files = append(files, cpuFile{fmt.Sprintf("%s.%d", path, b), b, true})
	}
	return files
}

// readCPUProfiles reads the CPU profiles that the plain runs wrote.
func readCPUProfiles(files []cpuFile) ([]CPUSample, error) {
	var out []CPUSample
	for _, cf := range files {
		f, err := os.Open(cf.path)
		if err != nil {
			return nil, fmt.Errorf("the profiled program left no CPU profile: %v", err)
		}
		p, err := profile.Parse(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading the CPU profile: %v", err)
		}
		samples := CPUSamples(p)
		if cf.batch >= 0 {
			for i := range samples {
				if b := samples[i].Batch; b != NotRuns && (!cf.label || b < 0) {
					samples[i].Batch = cf.batch
				}
			}
		}
		out = append(out, samples...)
	}
	return out, nil
}

// CPUSamples returns the stacks of a CPU profile, innermost frame first,
// inlined calls expanded, each with its number of samples and the batch
// its "batch" label names (-1 for none; NotRuns when its "speedup" label
// says it is the setup's or the harness's).
func CPUSamples(p *profile.Profile) []CPUSample {
	var out []CPUSample
	for _, s := range p.Sample {
		if len(s.Value) == 0 {
			continue
		}
		cs := CPUSample{Count: s.Value[0], Batch: -1}
		if own := s.Label["speedup"]; len(own) == 1 && own[0] != "stmt" {
			cs.Batch = NotRuns
		} else if b := s.Label["batch"]; len(b) == 1 {
			if n, err := strconv.Atoi(b[0]); err == nil {
				cs.Batch = n
			}
		}
		for _, loc := range s.Location {
			// A location's lines list its inlined calls innermost first.
			for _, l := range loc.Line {
				file := ""
				if l.Function != nil {
					file = l.Function.Filename
				}
				cs.Frames = append(cs.Frames, Frame{File: file, Line: int(l.Line)})
			}
		}
		out = append(out, cs)
	}
	return out
}
