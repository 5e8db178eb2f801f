package lprun

import (
	"fmt"
	"os"

	"github.com/google/pprof/profile"
)

// readCPUProfiles reads the CPU profiles that the plain runs wrote.
func readCPUProfiles(files []string) ([]CPUSample, error) {
	var out []CPUSample
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("the profiled program left no CPU profile: %v", err)
		}
		p, err := profile.Parse(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading the CPU profile: %v", err)
		}
		out = append(out, CPUSamples(p)...)
	}
	return out, nil
}

// CPUSamples returns the stacks of a CPU profile, innermost frame first,
// inlined calls expanded, each with its number of samples.
func CPUSamples(p *profile.Profile) []CPUSample {
	var out []CPUSample
	for _, s := range p.Sample {
		if len(s.Value) == 0 {
			continue
		}
		cs := CPUSample{Count: s.Value[0]}
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
