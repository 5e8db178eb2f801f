// Command lprun measures speedup lprun against its targets on the
// tutorial's function, examples/distance, side by side in one run:
//
//   - the uninstrumented time of distance() (testing.Benchmark, as timeit
//     measures it);
//   - the instrumented run time and its ratio to it (target: at most 3x),
//     and the cost per line event (target: under 5 ns);
//   - the reported Total time and its ratio to the uninstrumented time
//     (target: 0.8x to 1.25x);
//   - % Time per line against the truth, pprof's cumulative per-line share
//     of the uninstrumented function run for a few seconds (target: within
//     10 points for every line holding at least 2%);
//   - hits against the counts the code implies (target: exact);
//   - the whole "speedup lprun" command's wall time, build included, with
//     a warm build cache (target: under 5 s).
//
// Run it from the repository root: go run ./bench/lprun
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
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"testing"
	"time"

	"github.com/google/pprof/profile"
	"github.com/gospeedup/speedup/examples/distance"
	"github.com/gospeedup/speedup/internal/lprun"
	"github.com/gospeedup/speedup/lineprof"
)

// calls is how many times the profiled statement calls distance().
const calls = 200

func main() {
	truthTime := flag.Duration("truth", 3*time.Second, "how long to run distance() under the CPU profiler for the truth")
	flag.Parse()
	if err := run(*truthTime); err != nil {
		fmt.Fprintln(os.Stderr, "bench/lprun:", err)
		os.Exit(1)
	}
}

func run(truthTime time.Duration) error {
	file, err := filepath.Abs("examples/distance/distance.go")
	if err != nil {
		return err
	}
	start, end, err := funcLines(file, "distance")
	if err != nil {
		return err
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}

	// 1. Uninstrumented time per call.
	r := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			distance.Distance()
		}
	})
	plainNS := float64(r.NsPerOp())

	// 2. The truth: pprof's cumulative share per line of the
	// uninstrumented function.
	truthN, truthTot, err := truth(file, start, end, truthTime)
	if err != nil {
		return err
	}

	// 3. lprun itself, in process. The statement calls distance() calls
	// times, so that the one instrumented run is a mean over that many
	// calls.
	t0 := time.Now()
	res, err := lprun.Run(context.Background(), lprun.Options{
		Dir: "examples/distance", Funcs: []string{"distance"}, Stmt: fmt.Sprintf("for range %d { distance() }", calls),
	})
	if err != nil {
		return err
	}
	sessionTime := time.Since(t0)
	f := res.Profile.Funcs[0]
	total := float64(f.TotalNS()) / calls

	// 4. The whole command, warm.
	wall, err := wholeCommand()
	if err != nil {
		return err
	}

	got, gotT, events := perCall(f)
	exact := sameHits(got, wantHits(src, start, end))

	fmt.Printf("speedup lprun on examples/distance: distance() (GOMAXPROCS %d, %d CPUs)\n\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Printf("%-44s %14s  %s\n", "figure", "measured", "target")
	fmt.Printf("%-44s %14s\n", "uninstrumented distance() (testing.B)", fmtNS(plainNS))
	fmt.Printf("%-44s %14s\n", "uninstrumented runs in lprun's timing build", fmtNS(float64(res.PlainNS)/calls))
	instr := float64(res.InstrumentedNS) / calls
	row(fmt.Sprintf("instrumented run (mean of %d)", calls), fmtNS(instr), "", true)
	row("  ratio to uninstrumented", fmt.Sprintf("%.2fx", instr/plainNS), "<= 3x", instr/plainNS <= 3)
	perEvent := (instr - plainNS) / float64(events)
	row("  cost per line event", fmt.Sprintf("%.3f ns", perEvent), "< 5 ns", perEvent < 5)
	row("reported Total time", fmtNS(total), "", true)
	row("  ratio to uninstrumented", fmt.Sprintf("%.2fx", total/plainNS), "0.8x - 1.25x", total/plainNS >= 0.8 && total/plainNS <= 1.25)
	row("hits", fmt.Sprintf("%d events", events), "exact", exact)
	row("whole command, warm cache", fmt.Sprintf("%.2f s", wall.Seconds()), "< 5 s", wall < 5*time.Second)
	fmt.Printf("%-44s %14s\n", "  (in-process session, for reference)", fmt.Sprintf("%.2f s", sessionTime.Seconds()))
	fmt.Printf("%-44s %14d\n", "  stack snapshots in lprun", res.Samples)
	fmt.Printf("%-44s %14d\n", "  CPU samples in lprun", res.CPUSamples)

	fmt.Printf("\n%% Time per line: lprun vs pprof (uninstrumented, %s, %d samples)\n", truthTime, truthTot)
	maxDiff := lineShares(src, gotT, total, truthN, truthTot)
	fmt.Println()
	row("max |% Time - pprof share| (lines >= 2%)", fmt.Sprintf("%.1f points", maxDiff), "<= 10 points", maxDiff <= 10)
	return nil
}

// row prints a figure with its target and whether it is met.
func row(name, val, target string, ok bool) {
	mark := "ok"
	if !ok {
		mark = "MISSED"
	}
	fmt.Printf("%-44s %14s  %-16s %s\n", name, val, target, mark)
}

// truth runs distance() under the CPU profiler for d and returns pprof's
// cumulative samples per line of the function and their total.
func truth(file string, start, end int, d time.Duration) (map[int]int64, int64, error) {
	var prof bytes.Buffer
	runtime.SetCPUProfileRate(250)
	if err := pprof.StartCPUProfile(&prof); err != nil {
		return nil, 0, err
	}
	for t0 := time.Now(); time.Since(t0) < d; {
		distance.Distance()
	}
	pprof.StopCPUProfile()
	n, tot, err := cpuProfileLines(prof.Bytes(), file, start, end)
	if err == nil && tot == 0 {
		err = fmt.Errorf("no CPU samples in distance")
	}
	return n, tot, err
}

// wholeCommand builds the binary, runs the command twice and returns the
// second run's wall time (a warm build cache).
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

// wantHits returns the hits the code implies (100x100 matrix).
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

// perCall returns the hits and times per call of distance() (-1 hits for
// a count that is not a multiple of the calls), and the line events.
func perCall(f *lineprof.Func) (got, gotT map[int]int64, events int64) {
	got, gotT = map[int]int64{}, map[int]int64{}
	for _, l := range f.Lines {
		got[l.Line] = l.Hits / calls
		gotT[l.Line] = l.TimeNS / calls
		events += l.Hits / calls
		if l.Hits%calls != 0 {
			got[l.Line] = -1
		}
	}
	return got, gotT, events
}

// sameHits reports whether the hits are the ones wanted, printing the
// differences.
func sameHits(got, want map[int]int64) bool {
	exact := true
	for n, w := range want {
		if got[n] != w {
			exact = false
			fmt.Printf("hits mismatch at line %d: %d, want %d\n", n, got[n], w)
		}
	}
	for n, g := range got {
		if _, ok := want[n]; !ok && g != 0 {
			exact = false
			fmt.Printf("unexpected hits at line %d: %d\n", n, g)
		}
	}
	return exact
}

// lineShares prints % Time per line, lprun's against pprof's, and returns
// the largest difference on lines holding at least 2%.
func lineShares(src []byte, gotT map[int]int64, total float64, truthN map[int]int64, truthTot int64) float64 {
	fmt.Printf("%6s %8s %8s %8s  %s\n", "line", "lprun", "pprof", "diff", "contents")
	var lines []int
	seen := map[int]bool{}
	for n := range truthN {
		lines, seen[n] = append(lines, n), true
	}
	for n := range gotT {
		if !seen[n] {
			lines = append(lines, n)
		}
	}
	sort.Ints(lines)
	srcLines := bytesLines(src)
	maxDiff := 0.0
	for _, n := range lines {
		lp := 100 * float64(gotT[n]) / total
		pp := 100 * float64(truthN[n]) / float64(truthTot)
		d := lp - pp
		if pp >= 2 || lp >= 2 {
			maxDiff = math.Max(maxDiff, math.Abs(d))
		}
		fmt.Printf("%6d %7.1f%% %7.1f%% %+7.1f   %s\n", n, lp, pp, d, trim(srcLines[n-1]))
	}
	return maxDiff
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
