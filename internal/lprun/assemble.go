package lprun

import (
	"fmt"
	"math"
	"slices"

	"github.com/gospeedup/speedup/internal/gorun/child"
	"github.com/gospeedup/speedup/lineprof"
)

// AssembleInput is what the profile is made of, as plain data: the
// profiled functions with their counters, and the plain runs' samples.
type AssembleInput struct {
	Funcs []FuncInput
	// Runs are the plain build's timing runs; their batches' Lines name
	// functions by their index in Funcs.
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

// Runs are the plain build's timing runs, in batches (see
// child.LprunRequest): batches with stack snapshots alternate with batches
// without, so that the snapshots' cost is measured, and pairs of
// neighbouring batches are independent repetitions of the whole
// measurement, whose spread gives the error.
type Runs struct {
	Batches []child.Batch
	// CapHit says that --max-time ended the runs before every function
	// that ran had MinSamples snapshot samples.
	CapHit     bool
	MinSamples int
	// Separate says why a program ran once per process rather than
	// repeated inside one ("" when it was repeated, or for a statement).
	Separate string
}

// add adds a timing reply's batches to the runs.
func (r *Runs) add(rep *child.LprunReply) {
	r.Batches = append(r.Batches, rep.Batches...)
	r.CapHit = r.CapHit || rep.CapHit
}

// count returns the number of runs and of snapshots.
func (r *Runs) count() (runs, snaps int) {
	for _, b := range r.Batches {
		runs += b.Runs
		snaps += b.Samples
	}
	return runs, snaps
}

// CPUSample is one stack of a CPU profile: frames innermost first, with
// inlined calls expanded, and its number of samples.
type CPUSample struct {
	Count  int64
	Frames []Frame
	// Batch is the index of the batch of runs the sample fell in, -1 for
	// none known, NotRuns for samples labelled as speedup's own (the
	// setup, the harness), which no batch ever claims.
	Batch int
}

// NotRuns is the Batch of a CPU sample of the setup or the harness.
const NotRuns = -2

// Frame is a position in a CPU sample's stack.
type Frame struct {
	File string
	Line int
}

// stats are the figures the report's header states besides the profile.
type stats struct {
	// totalErr is the largest relative error (95%) of a profiled
	// function's Total time, pctErr the largest error (95%, in points) of
	// a line's % Time; groups is the number of independent pairs of
	// batches whose spread they come from (below 2, they are the
	// sampling error alone).
	totalErr, pctErr float64
	groups           int
	// slowdown is how much slower the runs were with the stack snapshots
	// than without, at their final period intervalNS; slowdownErr its
	// error (95%, 0 when unknown); slowPairs the pairs measuring it.
	slowdown, slowdownErr float64
	slowPairs             int
	intervalNS            int64
	// unresolved names the functions that ran but in which no sample fell:
	// their time per run is below resolutionNS, and shows as 0.
	unresolved   []string
	resolutionNS float64
	// short names the functions that ran with fewer than MinSamples
	// snapshot samples, with their number, when the cap ended the runs.
	short []string
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

// sampleSet is the data of some of the batches: the whole measurement,
// or one pair of batches.
type sampleSet struct {
	// meanNS is the mean run time, from the batches without snapshots
	// (or, when there are none, from those with, less the pauses).
	meanNS float64
	runs   int
	nsnap  float64
	lines  []child.LineTime
	cpuN   []map[int]int64
	cpuTot []int64
}

// cpuBatches adds up the CPU samples per batch, function and line (see
// cpuByFunc); samples outside the batches are not the runs'.
type cpuBatches map[int]struct {
	n   []map[int]int64
	tot []int64
}

func cpuPerBatch(funcs []FuncInput, samples []CPUSample) cpuBatches {
	by := map[int][]CPUSample{}
	for _, s := range samples {
		if s.Batch >= 0 {
			by[s.Batch] = append(by[s.Batch], s)
		}
	}
	out := cpuBatches{}
	for b, ss := range by {
		n, tot := cpuByFunc(funcs, ss)
		out[b] = struct {
			n   []map[int]int64
			tot []int64
		}{n, tot}
	}
	return out
}

// set returns the data of the batches idx.
func (in *AssembleInput) set(idx []int, cpu cpuBatches) sampleSet {
	st := sampleSet{cpuN: make([]map[int]int64, len(in.Funcs)), cpuTot: make([]int64, len(in.Funcs))}
	for i := range st.cpuN {
		st.cpuN[i] = map[int]int64{}
	}
	var offNS, onNS, paused int64
	var offRuns, onRuns int
	var offMeans []float64
	for _, b := range idx {
		bt := in.Runs.Batches[b]
		st.runs += bt.Runs
		if !bt.Snap && bt.Runs > 0 {
			offMeans = append(offMeans, float64(bt.NS)/float64(bt.Runs))
		}
		if bt.Snap {
			onNS += bt.NS
			onRuns += bt.Runs
			paused += bt.PausedNS
			st.nsnap += float64(bt.Samples)
			st.lines = append(st.lines, bt.Lines...)
		} else {
			offNS += bt.NS
			offRuns += bt.Runs
		}
		if c, ok := cpu[b]; ok {
			for i := range in.Funcs {
				for l, n := range c.n[i] {
					st.cpuN[i][l] += n
				}
				st.cpuTot[i] += c.tot[i]
			}
		}
	}
	switch {
	case len(offMeans) >= 3:
		// The median batch: a batch slowed by a burst of another
		// process's work (on a loaded machine, 2-4x) does not move it.
		st.meanNS = median(offMeans)
	case offRuns > 0:
		st.meanNS = float64(offNS) / float64(offRuns)
	case onRuns > 0:
		st.meanNS = float64(max(onNS-paused, 0)) / float64(onRuns)
	}
	return st
}

// funcTime is one function's time per line, and what measured it.
type funcTime struct {
	times map[int]float64
	// runN counts the snapshots that found the function running, snapN
	// those that found it at all.
	runN, snapN float64
	// relErr is the relative sampling error (1 s.e.) of its total.
	relErr float64
	// split says that the CPU profile split the time on CPU over lines.
	split bool
}

func (ft funcTime) total() float64 {
	var s float64
	for _, t := range ft.times {
		s += t
	}
	return s
}

// sampledTime places one function's time on its lines (docs/lprun.md). Per
// run, its wall time off CPU on a line is the share of snapshots that found
// a goroutine parked there times the run time; its time on CPU is the
// share of snapshots that found it running, split over lines by the CPU
// profile.
//
// split chooses how the time on CPU is split over lines: by the CPU
// profile (true) or by the snapshots (false); nil chooses by the number
// of CPU samples. ft.split says which was used, so that the pairs of
// batches, whose spread gives the error, are measured as the whole was.
func sampledTime(f *FuncInput, i int, st *sampleSet, split *bool) funcTime {
	nsnap, meanNS := st.nsnap, st.meanNS
	cpuN, cpuTot := st.cpuN[i], st.cpuTot[i]
	ft := funcTime{times: map[int]float64{}}
	runLines := map[int]float64{}
	for _, lt := range st.lines {
		if lt.Target != i {
			continue
		}
		ft.snapN += float64(lt.N)
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
		p := min(ft.snapN/nsnap, nsnap/(nsnap+1))
		ft.relErr = math.Sqrt(p*(1-p)/nsnap) / p
	case cpuTot > 0:
		// No snapshot found the function running (it is a small part of
		// each run, or runs are short): the CPU profile's own clock
		// measures it, each sample standing for 1/cpuHz of CPU time.
		onCPU = float64(cpuTot) * 1e9 / float64(cpuHz) / float64(max(st.runs, 1))
		ft.relErr = 1 / math.Sqrt(float64(cpuTot))
	case ft.snapN > 0:
		p := min(ft.snapN/nsnap, nsnap/(nsnap+1))
		ft.relErr = math.Sqrt(p*(1-p)/nsnap) / p
	}
	// The CPU profile splits whenever it has samples: few samples split
	// with a large error (stated), but without bias, while a running
	// goroutine's snapshot shows it where it could be stopped (a loop's
	// header, a call), not where its time goes.
	byCPU := cpuTot > 0
	if split != nil {
		byCPU = *split
	}
	ft.split = byCPU
	switch {
	case byCPU && cpuTot > 0:
		for l, n := range cpuN {
			ft.times[f.own(l)] += float64(n) / float64(cpuTot) * onCPU
		}
	case !byCPU && ft.runN > 0:
		for l, n := range runLines {
			ft.times[l] += n / ft.runN * onCPU
		}
	}
	return ft
}

// tQuantile is Student's t quantile for a two-sided 95% interval with df
// degrees of freedom.
func tQuantile(df int) float64 {
	table := []float64{0, 12.71, 4.30, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.20, 2.18, 2.16, 2.14, 2.13, 2.12, 2.11, 2.10, 2.09, 2.09}
	switch {
	case df <= 0:
		return math.Inf(1)
	case df < len(table):
		return table[df]
	case df < 30:
		return 2.06
	}
	return 1.96
}

// median returns the median of xs (the mean of the middle two for an
// even count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

// robustSE returns the standard error of the median of xs, from their
// median absolute deviation (1.4826 MAD estimates the standard deviation
// without letting one outlier set it; the median's error is 1.253 times
// the mean's), or from their standard deviation when there are fewer
// than 4. The sampling error stays as the floor of the stated error.
func robustSE(xs []float64) float64 {
	_, se := meanSE(xs)
	if len(xs) < 4 {
		return 1.253 * se
	}
	m := median(xs)
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - m)
	}
	return 1.253 * 1.4826 * median(dev) / math.Sqrt(float64(len(xs)))
}

// meanSE returns the mean of xs and the standard error of that mean.
func meanSE(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	if len(xs) < 2 {
		return m, 0
	}
	var v float64
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return m, math.Sqrt(v / float64(len(xs)-1) / float64(len(xs)))
}

// repeatErr returns how far (95%) the figure that xs measure, one value
// per pair of batches in time order, may land in a repeated session:
// Student's t times its standard error (robustSE: the run time is the
// median batch's), times sqrt(2) for the other session's own error. The machine's load drifts over
// seconds, so neighbouring pairs are alike and their spread alone
// understates the error: the pairs are also averaged in blocks of 2, 4...
// (while at least 8 blocks remain: fewer make the error itself too noisy), and the largest of these errors
// counts (the blocking method of Flyvbjerg and Petersen).
func repeatErr(xs []float64) float64 {
	var worst float64
	for k := 1; len(xs)/k >= 2 && (k == 1 || len(xs)/k >= 8); k *= 2 {
		var blocks []float64
		for i := 0; i+k <= len(xs); i += k {
			var m float64
			for _, x := range xs[i : i+k] {
				m += x
			}
			blocks = append(blocks, m/float64(k))
		}
		worst = max(worst, tQuantile(len(blocks)-1)*robustSE(blocks))
	}
	return math.Sqrt2 * worst
}

// pairs returns the pairs of neighbouring batches (0 and 1, 2 and 3...)
// that hold one batch with snapshots and one without: independent
// repetitions of the measurement.
func (r *Runs) pairs() [][]int {
	var out [][]int
	for b := 0; b+1 < len(r.Batches); b += 2 {
		if r.Batches[b].Snap != r.Batches[b+1].Snap {
			out = append(out, []int{b, b + 1})
		}
	}
	return out
}

// slowdown measures the snapshots' cost: how much longer the runs of the
// batches with snapshots took than those of their pair without, at the
// final snapshot period. It returns the pooled slowdown, its error (95%),
// the number of pairs and the period.
//
// When fewer than two pairs ran at the final period, all pairs count:
// their periods were shorter, so the figure is an upper bound.
func (r *Runs) slowdown() (float64, float64, int, int64) {
	var iv int64
	for _, b := range r.Batches {
		if b.Snap {
			iv = b.IntervalNS
		}
	}
	s, e, n := r.slowdownAt(iv)
	if n < 2 {
		s, e, n = r.slowdownAt(-1)
	}
	return s, e, n, iv
}

// slowdownAt measures the slowdown over the pairs whose batch with
// snapshots ran at period iv (any period for -1).
func (r *Runs) slowdownAt(iv int64) (float64, float64, int) {
	var per []float64
	var onNS, offNS float64
	var onRuns, offRuns int
	for _, p := range r.pairs() {
		on, off := r.Batches[p[0]], r.Batches[p[1]]
		if !on.Snap {
			on, off = off, on
		}
		if (iv >= 0 && on.IntervalNS != iv) || on.Runs == 0 || off.Runs == 0 || off.NS <= 0 {
			continue
		}
		x := float64(on.NS)/float64(on.Runs)/(float64(off.NS)/float64(off.Runs)) - 1
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		per = append(per, x)
		onNS += float64(on.NS)
		offNS += float64(off.NS)
		onRuns += on.Runs
		offRuns += off.Runs
	}
	if len(per) == 0 {
		return 0, 0, 0
	}
	pooled := onNS/float64(onRuns)/(offNS/float64(offRuns)) - 1
	_, se := meanSE(per)
	return pooled, tQuantile(len(per)-1) * se, len(per)
}

// assemble builds the profile from the instrumented run's counts and the
// plain runs' samples.
func assemble(in AssembleInput) (*Result, stats) {
	whole, groups := in.sets(cpuPerBatch(in.Funcs, in.CPU))
	p := &lineprof.Profile{Unit: 1e-9}
	st := stats{groups: len(groups)}
	st.slowdown, st.slowdownErr, st.slowPairs, st.intervalNS = in.Runs.slowdown()
	var cpuAll int64
	for i := range in.Funcs {
		p.Funcs = append(p.Funcs, in.assembleFunc(i, &whole, groups, &st))
		cpuAll += whole.cpuTot[i]
	}
	p.Sort()
	runs, snaps := in.Runs.count()
	res := &Result{Profile: p, Runs: runs, Batches: len(in.Runs.Batches), Samples: snaps, CPUSamples: cpuAll, PlainNS: int64(whole.meanNS),
		TotalErr: st.totalErr, PctErr: st.pctErr, Slowdown: st.slowdown, SlowdownErr: st.slowdownErr, SlowPairs: st.slowPairs, IntervalNS: st.intervalNS, CapHit: in.Runs.CapHit}
	// One snapshot's worth of a run, or one CPU sample's when no snapshot
	// fell in any run: the least time a sampled function can show.
	if snaps > 0 {
		st.resolutionNS = whole.meanNS / float64(snaps)
	} else {
		st.resolutionNS = 1e9 / float64(cpuHz) / float64(max(runs, 1))
	}
	return res, st
}

// sets returns the samples of all the batches (whole) and those of each
// independent pair of batches (groups), whose spread gives the errors.
func (in *AssembleInput) sets(cpu cpuBatches) (whole sampleSet, groups []sampleSet) {
	all := make([]int, len(in.Runs.Batches))
	for b := range all {
		all[b] = b
	}
	whole = in.set(all, cpu)
	pairs := in.Runs.pairs()
	groups = make([]sampleSet, len(pairs))
	for g, p := range pairs {
		groups[g] = in.set(p, cpu)
	}
	return whole, groups
}

// assembleFunc builds the profile of function i: its lines' hits and
// times. It notes in st what the function's samples say of the profile:
// their errors, and whether they were too few.
func (in *AssembleInput) assembleFunc(i int, whole *sampleSet, groups []sampleSet, st *stats) *lineprof.Func {
	fi := &in.Funcs[i]
	f := fi.profileFunc()
	hits := fi.hits()
	ft := sampledTime(fi, i, whole, nil)
	ran := false
	for _, h := range hits {
		ran = ran || h > 0
	}
	if ran && ft.runN == 0 && whole.cpuTot[i] == 0 && len(ft.times) == 0 {
		st.unresolved = append(st.unresolved, fi.Name)
	}
	if ran && in.Runs.CapHit && in.Runs.MinSamples > 0 && ft.snapN < float64(in.Runs.MinSamples) {
		st.short = append(st.short, fmt.Sprintf("%s (%.0f)", fi.Name, ft.snapN))
	}
	totalErr, pctErr := funcErrors(fi, i, &ft, whole, groups)
	if ran && (ft.snapN > 0 || whole.cpuTot[i] > 0) {
		st.totalErr = max(st.totalErr, totalErr)
		st.pctErr = max(st.pctErr, min(pctErr, 100))
	}
	f.Lines = append(f.Lines, profileLines(hits, ft.times)...)
	return f
}

// funcErrors returns the errors (95%) of function i's Total time
// (relative) and of its lines' % Time (in points): the sampling error, or
// the spread of the independent pairs of batches when that is larger (it
// holds what varies from run to run besides the sampling: the machine's
// load, the runs themselves), as far as a repeated session may land. ft is
// the function's time in the whole; the pairs are measured as it was.
func funcErrors(fi *FuncInput, i int, ft *funcTime, whole *sampleSet, groups []sampleSet) (totalErr, pctErr float64) {
	totalErr = 1.96 * ft.relErr
	pctErr = 1.96 * 50 / math.Sqrt(float64(max(whole.cpuTot[i], 1)))
	total := ft.total()
	if total <= 0 || len(groups) < 2 {
		return totalErr, pctErr
	}
	var totals []float64
	pcts := map[int][]float64{}
	for g := range groups {
		gt := sampledTime(fi, i, &groups[g], &ft.split)
		tot := gt.total()
		totals = append(totals, tot)
		if tot <= 0 {
			continue
		}
		for l := range ft.times {
			pcts[l] = append(pcts[l], 100*gt.times[l]/tot)
		}
	}
	totalErr = max(totalErr, repeatErr(totals)/total)
	for _, xs := range pcts {
		pctErr = max(pctErr, repeatErr(xs))
	}
	return totalErr, pctErr
}

// profileLines lists a function's lines, unsorted: those counted (hits)
// and those sampled (times, in ns), each with both figures (0 when
// missing). It adds the sampled lines to hits.
func profileLines(hits map[int]int64, times map[int]float64) []lineprof.Line {
	var lines []lineprof.Line
	for l := range times {
		if _, ok := hits[l]; !ok {
			hits[l] = 0
		}
	}
	for l, h := range hits {
		lines = append(lines, lineprof.Line{Line: l, Hits: h, TimeNS: int64(math.Round(times[l]))})
	}
	return lines
}
