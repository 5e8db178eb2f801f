package lprun

import (
	"math"

	"github.com/gospeedup/speedup/internal/gorun/child"
	"github.com/gospeedup/speedup/lineprof"
)

// AssembleInput is what the profile is made of, as plain data: the
// profiled functions with their counters, and the plain runs' samples.
type AssembleInput struct {
	Funcs []FuncInput
	// Runs are the plain build's timing runs; their Lines name functions
	// by their index in Funcs.
	Runs Runs
	// CPU is the CPU profile of the plain runs.
	CPU []CPUSample
}

// FuncInput is one profiled function.
type FuncInput struct {
	File, Name string
	// Line and EndLine are the lines of the func keyword and of the
	// closing brace; Source the lines between (lineprof.SourceLines).
	Line, EndLine int
	Source        []string
	// Slots tie the function's counters to lines; Counts and Times are its
	// file's counters (hits, and --exact-time nanoseconds).
	Slots  []Slot
	Counts []uint64
	Times  []int64
	// Owner maps lines on which no statement begins to the line of the
	// statement they continue (see ownerLines).
	Owner map[int]int
}

// Slot ties a counter (an index into its file's counters) to a line.
type Slot struct{ Index, Line int }

// Runs are the plain build's timing runs, added up.
type Runs struct {
	RunNS     []int64
	Samples   int
	PausedNS  int64
	CleanNS   int64
	CleanRuns int
	Lines     []child.LineTime
}

// CPUSample is one stack of a CPU profile: frames innermost first, with
// inlined calls expanded, and its number of samples.
type CPUSample struct {
	Count  int64
	Frames []Frame
}

// Frame is a position in a CPU sample's stack.
type Frame struct {
	File string
	Line int
}

// stats are the figures the report's header states besides the profile.
type stats struct {
	// totalErr is the largest relative error (1 s.e.) of a profiled
	// function's Total time, from the samples that measured it.
	totalErr float64
	// unresolved names the functions that ran but in which no sample fell:
	// their time per run is below resolutionNS, and shows as 0.
	unresolved   []string
	resolutionNS float64
}

// hits adds up f's counts per line.
func (f *FuncInput) hits() map[int]int64 {
	hits := map[int]int64{}
	for _, s := range f.Slots {
		if s.Index < len(f.Counts) && f.Counts[s.Index] > 0 {
			hits[s.Line] += int64(f.Counts[s.Index])
		}
	}
	return hits
}

// own returns the line that line l's time belongs to.
func (f *FuncInput) own(l int) int {
	if o, ok := f.Owner[l]; ok {
		return o
	}
	return l
}

func (f *FuncInput) profileFunc() *lineprof.Func {
	return &lineprof.Func{File: f.File, Name: f.Name, Line: f.Line, EndLine: f.EndLine, Source: f.Source}
}

// AssembleExact builds the profile of --exact-time from the instrumented
// run's counts and times alone.
func AssembleExact(in AssembleInput) *lineprof.Profile {
	p := &lineprof.Profile{Unit: 1e-9}
	for _, fi := range in.Funcs {
		f := fi.profileFunc()
		lines := map[int]*lineprof.Line{}
		for _, s := range fi.Slots {
			l := lines[s.Line]
			if l == nil {
				l = &lineprof.Line{Line: s.Line}
				lines[s.Line] = l
			}
			if s.Index < len(fi.Counts) {
				l.Hits += int64(fi.Counts[s.Index])
			}
			if s.Index < len(fi.Times) {
				l.TimeNS += fi.Times[s.Index]
			}
		}
		for _, l := range lines {
			if l.Hits != 0 || l.TimeNS != 0 {
				f.Lines = append(f.Lines, *l)
			}
		}
		p.Funcs = append(p.Funcs, f)
	}
	p.Sort()
	return p
}

// cpuByFunc adds up the CPU samples per function and line: a sample counts
// once for each function on its stack (recursion once), on that function's
// innermost line.
func cpuByFunc(funcs []FuncInput, samples []CPUSample) ([]map[int]int64, []int64) {
	byLine := make([]map[int]int64, len(funcs))
	tot := make([]int64, len(funcs))
	for i := range byLine {
		byLine[i] = map[int]int64{}
	}
	seen := make([]bool, len(funcs))
	for _, smp := range samples {
		clear(seen)
		for _, fr := range smp.Frames {
			for i, f := range funcs {
				if !seen[i] && fr.Line >= f.Line && fr.Line <= f.EndLine && fr.File == f.File {
					seen[i] = true
					byLine[i][fr.Line] += smp.Count
					tot[i] += smp.Count
				}
			}
		}
	}
	return byLine, tot
}

// meanRunNS is the mean run time of the plain runs. The snapshots'
// stop-the-world pauses are not the user's time: it comes from the runs no
// snapshot paused, or, when the runs are too long to escape them, has the
// pauses taken out.
func (r *Runs) meanRunNS() float64 {
	var sum int64
	for _, v := range r.RunNS {
		sum += v
	}
	if r.CleanRuns >= 10 {
		return float64(r.CleanNS) / float64(r.CleanRuns)
	}
	return float64(max(sum-r.PausedNS, 0)) / float64(max(len(r.RunNS), 1))
}

// funcTime is one function's time per line, and what measured it.
type funcTime struct {
	times map[int]float64
	// runN counts the snapshots that found the function running.
	runN float64
	// relErr is the relative error (1 s.e.) of its total.
	relErr float64
}

// sampledTime places one function's time on its lines (docs/lprun.md). Per
// run, its wall time off CPU on a line is the share of snapshots that found
// a goroutine parked there times the run time; its time on CPU is the
// share of snapshots that found it running, split over lines by the CPU
// profile (cpuN, cpuTot samples).
func sampledTime(f *FuncInput, i int, r *Runs, meanNS float64, cpuN map[int]int64, cpuTot int64) funcTime {
	nsnap := float64(r.Samples)
	ft := funcTime{times: map[int]float64{}}
	runLines := map[int]float64{}
	for _, lt := range r.Lines {
		if lt.Target != i {
			continue
		}
		if lt.Parked {
			ft.times[f.own(lt.Line)] += float64(lt.N) / nsnap * meanNS
		} else {
			ft.runN += float64(lt.N)
			runLines[f.own(lt.Line)] += float64(lt.N)
		}
	}
	var onCPU float64
	switch {
	case nsnap > 0 && ft.runN > 0:
		onCPU = ft.runN / nsnap * meanNS
		// The binomial error of the snapshots' share; a share of 1 still
		// has an error of about one snapshot.
		p := min(ft.runN/nsnap, nsnap/(nsnap+1))
		ft.relErr = math.Sqrt(p*(1-p)/nsnap) / p
	case cpuTot > 0:
		// No snapshot found the function running (it is a small part of
		// each run, or runs are short): the CPU profile's own clock
		// measures it, each sample standing for 1/cpuHz of CPU time.
		onCPU = float64(cpuTot) * 1e9 / float64(cpuHz) / float64(max(len(r.RunNS), 1))
		ft.relErr = 1 / math.Sqrt(float64(cpuTot))
	}
	switch {
	case cpuTot >= 20 || (cpuTot > 0 && ft.runN == 0):
		for l, n := range cpuN {
			ft.times[f.own(l)] += float64(n) / float64(cpuTot) * onCPU
		}
	case ft.runN > 0:
		for l, n := range runLines {
			ft.times[l] += n / ft.runN * onCPU
		}
	}
	return ft
}

// assemble builds the profile from the instrumented run's counts and the
// plain runs' samples.
func assemble(in AssembleInput) (*Result, stats) {
	cpuN, cpuTot := cpuByFunc(in.Funcs, in.CPU)
	meanNS := in.Runs.meanRunNS()
	p := &lineprof.Profile{Unit: 1e-9}
	var st stats
	var cpuAll int64
	for i := range in.Funcs {
		fi := &in.Funcs[i]
		f := fi.profileFunc()
		hits := fi.hits()
		ft := sampledTime(fi, i, &in.Runs, meanNS, cpuN[i], cpuTot[i])
		st.totalErr = max(st.totalErr, ft.relErr)
		ran := false
		for _, h := range hits {
			ran = ran || h > 0
		}
		if ran && ft.runN == 0 && cpuTot[i] == 0 && len(ft.times) == 0 {
			st.unresolved = append(st.unresolved, fi.Name)
		}
		cpuAll += cpuTot[i]
		for l := range ft.times {
			if _, ok := hits[l]; !ok {
				hits[l] = 0
			}
		}
		for l, h := range hits {
			f.Lines = append(f.Lines, lineprof.Line{Line: l, Hits: h, TimeNS: int64(math.Round(ft.times[l]))})
		}
		p.Funcs = append(p.Funcs, f)
	}
	p.Sort()
	res := &Result{Profile: p, Runs: len(in.Runs.RunNS), Samples: in.Runs.Samples, CPUSamples: cpuAll, PlainNS: int64(meanNS)}
	// One snapshot's worth of a run, or one CPU sample's when no snapshot
	// fell in any run: the least time a sampled function can show.
	if in.Runs.Samples > 0 {
		st.resolutionNS = meanNS / float64(in.Runs.Samples)
	} else {
		st.resolutionNS = 1e9 / float64(cpuHz) / float64(max(len(in.Runs.RunNS), 1))
	}
	return res, st
}
