// Command lprun measures speedup lprun against its targets on the
// tutorial's function, examples/distance, side by side in one run, each
// figure with the error lprun states for it and a verdict that is never
// "ok" for a figure outside what is physically possible (INVALID):
//
//   - the observer effect of the stack snapshots: distance() and a par.Map
//     over goroutines timed with a sampler taking snapshots every 5 ms
//     (the old fixed default) and without, alternated (A B B A); and the
//     slowdown each lprun session measured and stated for itself, at the
//     snapshot period it settled on (target: below 3%);
//   - the agreement of consecutive lprun sessions: how often two
//     consecutive sessions' Total time, and % Time of the lines holding at
//     least 2%, differ by more than the larger of their stated errors
//     (target: fewer than 1 in 10);
//   - the instrumented run time against the uninstrumented one, both
//     measured by each session, sessions in turn (target: at most 3x; a
//     ratio below 1 is INVALID), and the cost per line event (target:
//     under 5 ns; a negative cost is INVALID);
//   - the reported Total time against distance() timed in this process
//     between the sessions (target: 0.8x to 1.25x);
//   - % Time per line against pprof's cumulative per-line share of the
//     uninstrumented function (target: within 10 points for every line
//     holding at least 2%);
//   - hits against the counts the code implies (target: exact);
//   - the whole "speedup lprun" command's wall time, build included, with
//     a warm build cache (target: under 5 s).
//
// Run it from the repository root: go run ./bench/lprun [-sessions 10]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync/atomic"
	"time"

	"github.com/google/pprof/profile"
	"github.com/gospeedup/speedup/bench/internal/benchcheck"
	"github.com/gospeedup/speedup/examples/distance"
	"github.com/gospeedup/speedup/internal/lprun"
	"github.com/gospeedup/speedup/par"
)

// calls is how many times the profiled statement calls distance().
const calls = 20

func main() {
	truthTime := flag.Duration("truth", 5*time.Second, "how long to run distance() under the CPU profiler for the truth")
	sessions := flag.Int("sessions", 10, "how many consecutive lprun sessions to compare")
	flag.Parse()
	if *sessions < 1 || *truthTime <= 0 {
		fmt.Fprintln(os.Stderr, "bench/lprun: -sessions must be at least 1 and -truth positive")
		os.Exit(2)
	}
	if err := run(*truthTime, *sessions); err != nil {
		fmt.Fprintln(os.Stderr, "bench/lprun:", err)
		os.Exit(1)
	}
}

// session is one lprun session's figures, per call of distance().
type session struct {
	total, totalErr float64 // ns, relative (95%)
	pct             map[int]float64
	pctErr          float64 // points
	instr, plain    float64 // ns
	slowdown, slErr float64
	slowPairs       int
	intervalNS      int64
	hits            map[int]int64
	events          int64
	capHit          bool
	// local is distance() timed in this process just before the session.
	local float64
}

// run measures every figure, then prints them in a table, each with its
// target and verdict.
func run(truthTime time.Duration, sessions int) error {
	file, err := filepath.Abs("examples/distance/distance.go")
	if err != nil {
		return err
	}
	start, end, err := funcLines(file, "distance")
	if err != nil {
		return err
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("speedup lprun on examples/distance: distance() (GOMAXPROCS %d, %d CPUs, load average %s)\n\n",
		runtime.GOMAXPROCS(0), runtime.NumCPU(), bytes.TrimSpace(bytes.SplitN(load, []byte(" "), 4)[0]))

	// 1. The snapshots' cost at the old fixed period, measured directly.
	distCost, parCost := observerCosts()
	// 2. The truth: pprof's cumulative share per line of the
	// uninstrumented function.
	truthN, truthTot, err := truth(truthTime, file, start, end)
	if err != nil {
		return err
	}
	// 3. Consecutive lprun sessions.
	ss, wallSessions, err := lprunSessions(sessions)
	if err != nil {
		return err
	}
	// 4. The whole command, warm.
	wall, err := wholeCommand()
	if err != nil {
		return err
	}
	src, _ := os.ReadFile(file)
	exact := checkHits(ss, wantHits(src, start, end))

	fmt.Printf("%-46s %16s %18s  %-14s %s\n", "figure", "measured", "stated error", "target", "verdict")
	reportObserver(distCost, parCost, ss)
	reportAgreement(ss)
	reportMedians(ss, exact, wall, wallSessions)
	reportLines(ss[len(ss)-1], truthN, truthTot, truthTime, src)
	return nil
}

// observerCosts times the snapshots' cost at the old fixed period on
// distance() and on a par.Map over goroutines (see observer).
func observerCosts() (distCost, parCost observed) {
	distCost = observer(func() {
		for range 20 {
			distance.Distance()
		}
	})
	items := make([]int, 2000)
	parCost = observer(func() {
		par.Map(context.Background(), items, func(_ context.Context, x int) (float64, error) {
			s := 0.0
			for k := range 20000 {
				s += math.Sqrt(float64(k + x))
			}
			return s, nil
		})
	})
	return distCost, parCost
}

// truth runs distance() uninstrumented under the CPU profiler for
// truthTime and returns the samples per line of the function (lines start
// to end of file) and their total.
//
// The profile runs at pprof's own rate (100 Hz): a rate set first with
// runtime.SetCPUProfileRate does apply, but StartCPUProfile then asks
// for 100 Hz while that profile is on, and the runtime prints "cannot set
// cpu profile rate until previous profile has finished" on standard error
// (golang.org/issue/79900), a stray line in the bench's output. The
// fewer samples are paid for by a longer default -truth, and their error
// is stated next to the comparison.
func truth(truthTime time.Duration, file string, start, end int) (map[int]int64, int64, error) {
	var prof bytes.Buffer
	if err := pprof.StartCPUProfile(&prof); err != nil {
		return nil, 0, err
	}
	for t0 := time.Now(); time.Since(t0) < truthTime; {
		distance.Distance()
	}
	pprof.StopCPUProfile()
	truthN, truthTot, err := cpuProfileLines(prof.Bytes(), file, start, end)
	if err != nil {
		return nil, 0, err
	}
	if truthTot == 0 {
		return nil, 0, fmt.Errorf("no CPU samples in distance")
	}
	return truthN, truthTot, nil
}

// lprunSessions runs consecutive lprun sessions, in process, each
// preceded by distance() timed here: the in-process times and the
// sessions alternate, so that a change of load hurts both. It returns the
// sessions' figures and their total wall time.
func lprunSessions(sessions int) ([]session, time.Duration, error) {
	var ss []session
	var wallSessions time.Duration
	for range sessions {
		// As long as a batch of lprun's runs: a short burst after a
		// sleep gets a loaded machine's CPU sooner than steady work.
		n, t0 := 0, time.Now()
		for ; time.Since(t0) < time.Second; n++ {
			distance.Distance()
		}
		local := time.Since(t0) / time.Duration(n)
		t1 := time.Now()
		res, err := lprun.Run(context.Background(), lprun.Options{
			Dir: "examples/distance", Funcs: []string{"distance"}, Stmt: fmt.Sprintf("for range %d { distance() }", calls),
		})
		if err != nil {
			return nil, 0, err
		}
		wallSessions += time.Since(t1)
		ss = append(ss, newSession(res, local))
	}
	return ss, wallSessions, nil
}

// newSession takes a session's figures, per call of distance(), from
// its result; local is distance() timed in this process before it.
func newSession(res *lprun.Result, local time.Duration) session {
	f := res.Profile.Funcs[0]
	s := session{total: float64(f.TotalNS()) / calls, totalErr: res.TotalErr, pctErr: res.PctErr,
		instr: float64(res.InstrumentedNS) / calls, plain: float64(res.PlainNS) / calls,
		slowdown: res.Slowdown, slErr: res.SlowdownErr, slowPairs: res.SlowPairs, intervalNS: res.IntervalNS, capHit: res.CapHit,
		pct: map[int]float64{}, hits: map[int]int64{}, local: float64(local)}
	for _, l := range f.Lines {
		s.pct[l.Line] = 100 * float64(l.TimeNS) / float64(f.TotalNS())
		s.hits[l.Line] = l.Hits / calls
		if l.Hits%calls != 0 {
			s.hits[l.Line] = -1
		}
		s.events += l.Hits / calls
	}
	return s
}

// wholeCommand builds the binary, runs "speedup lprun" twice and returns
// the second run's wall time (a warm build cache).
func wholeCommand() (time.Duration, error) {
	tmp, err := os.MkdirTemp("", "bench-lprun-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "speedup")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/speedup").CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build: %v\n%s", err, out)
	}
	var wall time.Duration
	for i := 0; i < 2; i++ {
		cmd := exec.Command(bin, "lprun", "-C", "./examples/distance", "-f", "distance", "distance()")
		t := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("speedup lprun: %v\n%s", err, out)
		}
		wall = time.Since(t)
	}
	return wall, nil
}

// wantHits returns the hits per call the code of distance() implies
// (100x100 matrix), by line, for its lines start to end of src.
func wantHits(src []byte, start, end int) map[int]int64 {
	want := map[int]int64{}
	for i, l := range bytesLines(src) {
		n := i + 1
		if n < start || n > end {
			continue
		}
		switch {
		case contains(l, "for i := 0; i < M; i++"):
			want[n] = 101
		case contains(l, "for j := 0; j < M; j++"):
			want[n] = 100 * 101
		case contains(l, "d := 0.0"), contains(l, "math.Sqrt"):
			want[n] = 100 * 100
		case contains(l, "for k := 0; k < N; k++"):
			want[n] = 100 * 100 * 101
		case contains(l, "tmp := "), contains(l, "d += tmp"):
			want[n] = 100 * 100 * 100
		case contains(l, "X := "), contains(l, "D := "), contains(l, "M := "), contains(l, "N := "), contains(l, "return D"):
			want[n] = 1
		}
	}
	return want
}

// checkHits reports whether every session's hits are exactly want,
// printing each difference.
func checkHits(ss []session, want map[int]int64) bool {
	exact := true
	for _, s := range ss {
		for n, w := range want {
			if s.hits[n] != w {
				exact = false
				fmt.Printf("hits mismatch at line %d: %d, want %d\n", n, s.hits[n], w)
			}
		}
		for n, g := range s.hits {
			if _, ok := want[n]; !ok && g != 0 {
				exact = false
				fmt.Printf("unexpected hits at line %d: %d\n", n, g)
			}
		}
	}
	return exact
}

// row prints a figure with its target and verdict (see
// benchcheck.Verdict for the checks).
func row(name, val, claimed, target string, met bool, checks ...error) {
	fmt.Printf("%-46s %16s %18s  %-14s %s\n", name, val, claimed, target, benchcheck.Verdict(met, checks...))
}

// info prints a figure that has no target.
func info(name, val, claimed string) {
	fmt.Printf("%-46s %16s %18s\n", name, val, claimed)
}

// reportObserver prints the snapshots' cost: measured directly at the old
// fixed period, and as each session measured it for itself.
func reportObserver(distCost, parCost observed, ss []session) {
	fmt.Println("\nobserver effect of the stack snapshots")
	for _, c := range []struct {
		name string
		cost observed
	}{{"distance() x20, snapshots every 5 ms", distCost}, {"par.Map (2000 items), snapshots every 5 ms", parCost}} {
		info("  "+c.name, fmt.Sprintf("%+.1f%%", 100*(c.cost.ratio-1)), c.cost.spread)
	}
	for i, s := range ss {
		if s.slowPairs < 2 {
			info(fmt.Sprintf("  session %d: its own measure", i+1), "not measured", "")
			continue
		}
		name := fmt.Sprintf("  session %d: its own measure (period %s)", i+1, time.Duration(s.intervalNS))
		val, claimed := fmt.Sprintf("%+.1f%%", 100*s.slowdown), fmt.Sprintf("±%.1f%%", 100*s.slErr)
		below(name, val, claimed, "< 3%", s.slowdown, s.slErr, 0.03, benchcheck.Ratio("slowdown", 1+s.slowdown, 0.5, 10))
	}
}

// below prints a figure x ± err whose target is to stay below limit: met
// when the whole interval is below, MISSED when it is all above,
// otherwise "undecided (noise)": the noise cannot tell. An invalid figure
// (check) is INVALID whatever its interval.
func below(name, val, claimed, target string, x, err, limit float64, check error) {
	if check == nil && !(x+err < limit) && !(x-err > limit) {
		fmt.Printf("%-46s %16s %18s  %-14s %s\n", name, val, claimed, target, "undecided (noise)")
		return
	}
	row(name, val, claimed, target, x+err < limit, check)
}

// reportAgreement prints each session's Total time and how often
// consecutive sessions differ by more than their stated errors.
func reportAgreement(ss []session) {
	fmt.Println("\nconsecutive sessions: Total time (per call) and its stated error")
	var totDis, totN, pctDis, pctN int
	var maxPctDiff float64
	for i, s := range ss {
		mark := ""
		if s.capHit {
			mark = " (cap)"
		}
		info(fmt.Sprintf("  session %d%s", i+1, mark), fmtNS(s.total), fmt.Sprintf("±%.1f%%", 100*s.totalErr))
		if i == 0 {
			continue
		}
		p := ss[i-1]
		totN++
		if math.Abs(s.total-p.total) > math.Max(s.totalErr*s.total, p.totalErr*p.total) {
			totDis++
		}
		for n, v := range s.pct {
			if v < 2 && p.pct[n] < 2 {
				continue
			}
			pctN++
			d := math.Abs(v - p.pct[n])
			maxPctDiff = math.Max(maxPctDiff, d)
			if d > math.Max(s.pctErr, p.pctErr) {
				pctDis++
			}
		}
	}
	// A rate needs pairs to be a rate: with fewer than MinRuns pairs
	// (MinRuns+1 sessions) the verdict says the run was too short.
	row("  pairs differing by more than the stated error", fmt.Sprintf("%d of %d", totDis, totN), "", "< 1 in 10", float64(totDis) < 0.1*float64(totN), benchcheck.EnoughOf(totN, "pair"))
	row("  lines' % Time differing by more than stated", fmt.Sprintf("%d of %d", pctDis, pctN), "", "< 1 in 10", float64(pctDis) < 0.1*float64(pctN), benchcheck.EnoughOf(totN, "pair"))
	info("  largest % Time difference (lines >= 2%)", fmt.Sprintf("%.1f points", maxPctDiff), "")
}

// reportMedians prints the sessions' median times (instrumented,
// uninstrumented, reported, in this process) and their ratios, the hits'
// verdict and the whole command's wall time.
func reportMedians(ss []session, exact bool, wall, wallSessions time.Duration) {
	var instrs, plains, locals, totals []time.Duration
	var events int64
	var pctErr, totErr float64
	for _, s := range ss {
		instrs = append(instrs, time.Duration(s.instr))
		plains = append(plains, time.Duration(s.plain))
		locals = append(locals, time.Duration(s.local))
		totals = append(totals, time.Duration(s.total))
		events = s.events
		pctErr = math.Max(pctErr, s.pctErr)
		totErr = math.Max(totErr, s.totalErr)
	}
	instr, plain, local, total := float64(benchcheck.Median(instrs)), float64(benchcheck.Median(plains)), float64(benchcheck.Median(locals)), float64(benchcheck.Median(totals))
	fmt.Printf("\nmedians over the %d sessions (per call of distance())\n", len(ss))
	// The medians' verdicts rest on the sessions: too few, and they say
	// so rather than ok or MISSED.
	enough := benchcheck.EnoughOf(len(ss), "session")
	info("  distance() timed in this process", fmtNS(local), benchcheck.SpreadText(locals, 1))
	info("  uninstrumented runs in lprun's timing build", fmtNS(plain), benchcheck.SpreadText(plains, 1))
	info("  instrumented run", fmtNS(instr), benchcheck.SpreadText(instrs, 1))
	ratio := instr / plain
	row("    ratio to uninstrumented", fmt.Sprintf("%.2fx", ratio), "", "<= 3x", ratio <= 3, benchcheck.Ratio("instrumented/uninstrumented", ratio, 1, 1000), enough)
	perEvent := (instr - plain) / float64(events)
	row("    cost per line event", fmt.Sprintf("%.3f ns", perEvent), "", "< 5 ns", perEvent < 5, benchcheck.Cost("cost per line event", perEvent), enough)
	info("  reported Total time", fmtNS(total), fmt.Sprintf("±%.1f%%", 100*totErr))
	tr := total / local
	row("    ratio to distance() in this process", fmt.Sprintf("%.2fx", tr), "", "0.8x - 1.25x", tr >= 0.8 && tr <= 1.25, benchcheck.Ratio("Total time ratio", tr, 0.01, 100), enough)
	row("  hits", fmt.Sprintf("%d events", events), "exact", "exact", exact)
	row("whole command, warm cache", fmt.Sprintf("%.2f s", wall.Seconds()), "", "< 5 s", wall < 5*time.Second)
	info("  (mean in-process session, for reference)", fmt.Sprintf("%.2f s", wallSessions.Seconds()/float64(len(ss))), "")
}

// reportLines prints % Time per line of the last session against pprof's
// share (truthN of truthTot samples, over truthTime) and the largest
// difference on the lines holding at least 2%.
func reportLines(last session, truthN map[int]int64, truthTot int64, truthTime time.Duration, src []byte) {
	fmt.Printf("\n%% Time per line: last lprun session vs pprof (uninstrumented, %s, %d samples)\n", truthTime, truthTot)
	fmt.Printf("%6s %8s %8s %8s  %s\n", "line", "lprun", "pprof", "diff", "contents")
	var lines []int
	seen := map[int]bool{}
	for n := range truthN {
		lines, seen[n] = append(lines, n), true
	}
	for n := range last.pct {
		if !seen[n] {
			lines = append(lines, n)
		}
	}
	sort.Ints(lines)
	srcLines := bytesLines(src)
	maxDiff := 0.0
	for _, n := range lines {
		lp := last.pct[n]
		pp := 100 * float64(truthN[n]) / float64(truthTot)
		d := lp - pp
		if pp >= 2 || lp >= 2 {
			maxDiff = math.Max(maxDiff, math.Abs(d))
		}
		fmt.Printf("%6d %7.1f%% %7.1f%% %+7.1f   %s\n", n, lp, pp, d, trim(srcLines[n-1]))
	}
	fmt.Println()
	// Both sides are samples: the stated error of a difference is lprun's
	// and pprof's (its binomial 95% error at a share of one half, the
	// form lprun states) in quadrature.
	// A difference within the noise of a target it straddles is
	// undecided, as the snapshots' cost is.
	pprofErr := 1.96 * 50 / math.Sqrt(float64(truthTot))
	err := math.Hypot(last.pctErr, pprofErr)
	below("max |% Time - pprof share| (lines >= 2%)", fmt.Sprintf("%.1f points", maxDiff), fmt.Sprintf("±%.1f", err), "<= 10 points", maxDiff, err, 10, nil)
}

// observed is the snapshots' cost on some work: the ratio of the medians
// (with / without) and its spread as printed.
type observed struct {
	ratio  float64
	spread string
}

// observerReps is how many times observer runs the work each way.
const observerReps = 15

// observer times work with a sampler taking goroutine snapshots as lprun's
// did by default (a thread of its own, every 2.5 to 7.5 ms) and without,
// alternated A B B A, and returns the ratio of the medians (with / without)
// and its spread.
func observer(work func()) observed {
	var on atomic.Bool
	stop := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		recs := make([]runtime.StackRecord, 64)
		for {
			select {
			case <-stop:
				return
			default:
			}
			time.Sleep(2500*time.Microsecond + time.Duration(rand.Int64N(int64(5*time.Millisecond))))
			if on.Load() {
				if n, ok := runtime.GoroutineProfile(recs); !ok {
					recs = make([]runtime.StackRecord, 2*n)
				}
			}
		}
	}()
	defer close(stop)
	runs := benchcheck.Alternate(observerReps,
		benchcheck.Time(work),
		func() time.Duration {
			on.Store(true)
			defer on.Store(false)
			t := time.Now()
			work()
			return time.Since(t)
		})
	return observedCost(runs[0], runs[1])
}

// observedCost is the cost of the snapshots from the runs without (off)
// and with them: the ratio of the medians, and the two spreads in
// quadrature, or why there is none.
func observedCost(off, with []time.Duration) observed {
	o := observed{ratio: float64(benchcheck.Median(with)) / float64(benchcheck.Median(off))}
	so, ok1 := benchcheck.Spread(off)
	sw, ok2 := benchcheck.Spread(with)
	switch {
	case ok1 && ok2:
		o.spread = fmt.Sprintf("±%.1f%%", 100*math.Hypot(so, sw))
	case !ok1:
		o.spread = benchcheck.SpreadText(off, 1)
	default:
		o.spread = benchcheck.SpreadText(with, 1)
	}
	return o
}

func fmtNS(ns float64) string {
	switch {
	case ns >= 1e9:
		return fmt.Sprintf("%.3f s", ns/1e9)
	case ns >= 1e6:
		return fmt.Sprintf("%.3f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.1f ns", ns)
}

// funcLines returns the lines of the func keyword and closing brace of the
// top-level function name in file.
func funcLines(file, name string) (int, int, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		return 0, 0, err
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == name {
			return fset.Position(fd.Pos()).Line, fset.Position(fd.End()).Line, nil
		}
	}
	return 0, 0, fmt.Errorf("no function %s in %s", name, file)
}

func bytesLines(b []byte) []string {
	var out []string
	for _, l := range bytes.Split(b, []byte("\n")) {
		out = append(out, string(l))
	}
	return out
}

func contains(s, sub string) bool { return bytes.Contains([]byte(s), []byte(sub)) }

func trim(s string) string { return string(bytes.TrimSpace([]byte(s))) }

// cpuProfileLines returns, for the lines start..end of file, the CPU
// profile's samples whose innermost frame in that range is on the line
// (pprof's cumulative time per line of the function), and their total.
func cpuProfileLines(data []byte, file string, start, end int) (map[int]int64, int64, error) {
	p, err := profile.ParseData(data)
	if err != nil {
		return nil, 0, err
	}
	lines := map[int]int64{}
	var total int64
	for _, s := range lprun.CPUSamples(p) {
		for _, fr := range s.Frames {
			if fr.File == file && fr.Line >= start && fr.Line <= end {
				lines[fr.Line] += s.Count
				total += s.Count
				break
			}
		}
	}
	return lines, total, nil
}
