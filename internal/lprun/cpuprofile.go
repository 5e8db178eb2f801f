package lprun

import (
	"fmt"
	"os"
	"strconv"
	"time"

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

// batchFiles returns the CPU profiles of a process that made its runs in
// batches: path alone, or, when it rotated them (see rotateCPU), path for
// what ran before the batches and path.b for the pair of batches b, b+1,
// whose samples without a batch label go to b (the CPU samples of a batch
// are only ever added up by pairs, or all together).
func batchFiles(path string, batches int, rotate bool) []cpuFile {
	files := []cpuFile{{path, -1, true}}
	for b := 0; rotate && b < batches; b += 2 {
		files = append(files, cpuFile{fmt.Sprintf("%s.%d", path, b), b, true})
	}
	return files
}

// rotateCPU says whether the timing runs write each pair of batches' CPU
// samples to a file of their own (the child's rotate): only when a pair
// lasts at least minRotateNS, because a restarted profile does not sample
// the time after its last sample, up to one period (4 ms) of each file.
// Shorter sessions (a small --max-time) keep one file, and samples whose
// labels the measured code replaced are not counted there.
func rotateCPU(batchNS int64) bool { return 2*batchNS >= minRotateNS }

// minRotateNS is the least length of a pair of batches whose CPU samples
// get a file of their own: 50 periods of 250 Hz, so that the time left
// unsampled at a file's end is at most 2% of it (1% on average). Pairs
// are that long from --max-time 2s on (the default is 5 s).
const minRotateNS = int64(200 * time.Millisecond)

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
