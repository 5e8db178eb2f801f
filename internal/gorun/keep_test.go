package gorun

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// The multiplier of testdata/mix's Mix, as the assembly listing shows it.
const mixMul = "$6364136223846793005"

// FunctionAsm returns the assembly (go build -gcflags=-S output) of the
// functions whose symbol contains name.
func functionAsm(asm, name string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(asm, "\n") {
		if strings.Contains(line, " STEXT") {
			in = strings.Contains(strings.Fields(line)[0], name)
		}
		if in {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// buildMix builds the timeit harness of stmt in testdata/mix with
// -gcflags=-S and returns the program and the timing function's assembly.
func buildMix(t *testing.T, stmt string) (*Program, string) {
	t.Helper()
	dir, _ := filepath.Abs("testdata/mix")
	src, err := TimeitFile("mix", filepath.Join(dir, TimeitFileName), Snippet{Stmt: stmt})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(context.Background(), BuildOptions{Dir: dir, GCFlags: "-S"}, TimeitFileName, src)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, functionAsm(p.BuildOutput, "_speedup_run")
}

// TestKeepCellAssembly is issue 9's fault as the compiler commits it: a
// cell discarding a pure function's result inside a loop (the function
// literal around a cell is out of the b.Loop pass's reach) compiled to an
// empty loop. The inlined loop body must survive.
func TestKeepCellAssembly(t *testing.T) {
	for _, stmt := range []string{
		"for range 2 {\n\tMix(1000)\n}",
		"for range 2 {\n\t_ = Mix(1000)\n}",
		"if true {\n\tv := Mix(1000)\n\t_ = v\n}",
		// A call without a result is unwrapped by the retry.
		"for range 2 {\n\tprintln()\n\tMix(1000)\n}",
		// A function literal's own terminating statements stay so.
		"f := func(n int) uint64 {\n\tif n > 0 {\n\t\tv := Mix(n)\n\t\treturn v\n\t} else {\n\t\tfor {\n\t\t}\n\t}\n}\nfor range 2 {\n\tf(1000)\n\tfunc() { Mix(1000) }()\n}",
	} {
		_, asm := buildMix(t, stmt)
		if asm == "" {
			t.Fatalf("%q: no assembly for _speedup_run", stmt)
		}
		if !strings.Contains(asm, mixMul) {
			t.Errorf("%q: Mix's multiply is gone from the timed code:\n%s", stmt, asm)
		}
	}
}

// TestKeepCellTime: the discarded and the kept forms of the same work
// time within 15% of each other (they differed 3x), as a ratio measured
// side by side in one run; a noisy round is measured again.
func TestKeepCellTime(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	dropped, _ := buildMix(t, "for range 2 {\n\tMix(100_000)\n}")
	kept, _ := buildMix(t, "for range 2 {\n\tSink = Mix(100_000)\n}")
	var ratio float64
	for round := 0; round < 4; round++ {
		ratio = minRatio(t, dropped, kept)
		if ratio > 0.87 && ratio < 1.15 {
			return
		}
		t.Logf("round %d: ratio %.2f", round, ratio)
	}
	t.Errorf("discarded/kept time ratio %.2f, want within 15%% of 1", ratio)
}

// minRatio measures both programs alternately and returns the ratio of
// their fastest runs.
func minRatio(t *testing.T, a, b *Program) float64 {
	ta, err := a.StartTimer(context.Background(), TimerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ta.Close()
	tb, err := b.StartTimer(context.Background(), TimerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	best := [2]float64{}
	for i := 0; i < 7; i++ {
		for j, tm := range []*Timer{ta, tb} {
			tot, err := tm.Run(5)
			if err != nil {
				t.Fatal(err)
			}
			if ns := float64(tot.Elapsed); best[j] == 0 || ns < best[j] {
				best[j] = ns
			}
		}
	}
	return best[0] / best[1]
}
