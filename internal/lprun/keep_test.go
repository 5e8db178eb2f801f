package lprun

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gospeedup/speedup/internal/gorun"
)

// Issue 9's fixture: Mix, a pure function, whose result the statement
// discards. lprun's timing build used to let the compiler delete its
// loop: a third of the time, all on the loop header, none on the body.

func mixDir(t *testing.T) string {
	dir, err := filepath.Abs("../gorun/testdata/mix")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestKeepAssembly: in the timing build, the statement's code still holds
// Mix's multiply (inlined into _speedup_stmt).
func TestKeepAssembly(t *testing.T) {
	o := Options{Dir: mixDir(t), Funcs: []string{"Mix"}, Stmt: "Mix(1_000_000)"}
	o.defaults()
	tmp := t.TempDir()
	targets, rp, err := resolve(context.Background(), o, tmp)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := newPlan(context.Background(), o, targets, rp, tmp)
	if err != nil {
		t.Fatal(err)
	}
	for name, bo := range map[string]gorun.BuildOptions{"timing": pl.b, "instrumented": pl.a} {
		bo.GCFlags = "-S"
		p, err := gorun.Build(context.Background(), bo, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		asm := stmtAsm(p.BuildOutput)
		p.Close()
		if asm == "" {
			t.Fatalf("%s build: no assembly for _speedup_stmt", name)
		}
		if name == "timing" && !strings.Contains(asm, "$6364136223846793005") {
			t.Errorf("%s build: Mix's multiply is gone from the statement:\n%s", name, asm)
		}
	}
}

// stmtAsm returns the assembly of the statement's function.
func stmtAsm(asm string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(asm, "\n") {
		if strings.Contains(line, " STEXT") {
			in = strings.Contains(strings.Fields(line)[0], "_speedup_stmt")
		}
		if in {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// TestKeepTime: the discarded and the kept forms report the same time,
// within 15%, and the loop body gets its share. Both forms run in one
// statement, Mix's result discarded and its twin Mix2's kept, so that one
// profile times them side by side: a load that comes and goes between two
// runs cannot fake or hide the difference. (The fault gave the discarded
// form about a third of the time, all on the loop header.)
//
// On a loaded machine the process gets little CPU and few samples, and
// lprun says so: its stated error (TotalErr) then exceeds 15%. The test
// holds the ratio to 15% whenever the profile is that precise, and to the
// stated error otherwise (a ratio of two totals: up to 1.5 times it); the
// body line's time, which the fault took to 0, is checked at any load.
func TestKeepTime(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	var msg string
	for round := 0; round < 3; round++ {
		res, err := Run(context.Background(), Options{Dir: mixDir(t), Funcs: []string{"Mix", "Mix2"},
			Stmt: "Mix(1_000_000)\nSink = Mix2(1_000_000)", MaxTime: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if m := strings.Join(res.Profile.Method, " "); strings.Contains(m, "No sample fell") {
			t.Fatalf("%s", m)
		}
		totals := map[string]int64{}
		var body int64
		for _, f := range res.Profile.Funcs {
			totals[f.Name] = f.TotalNS()
			for _, l := range f.Lines {
				if f.Name == "Mix" && l.Line == f.Line+3 { // x = x*... + ...
					body = l.TimeNS
				}
			}
		}
		dropped, kept := totals["Mix"], totals["Mix2"]
		ratio := float64(dropped) / float64(max(kept, 1))
		margin := max(0.15, 1.5*res.TotalErr)
		if math.Abs(ratio-1) < margin && body > dropped/10 {
			if math.Abs(ratio-1) >= 0.15 {
				t.Logf("ratio %.2f held to the stated error (±%.0f%% of Total time), not 15%%: the machine is loaded", ratio, 100*res.TotalErr)
			}
			return
		}
		msg = fmt.Sprintf("discarded Mix %d ns (body %d ns), kept Mix2 %d ns: ratio %.2f (stated error ±%.0f%%)", dropped, body, kept, ratio, 100*res.TotalErr)
		t.Logf("round %d: %s", round, msg)
	}
	t.Errorf("%s: want the ratio within 15%% of 1 (or the stated error when larger) and the body line to keep its time", msg)
}

// TestKeepInlinedHelper: an inlined helper called from a profiled loop
// keeps its work, and its time, when the statement discards the loop's
// result: its share of the loop is most of it in both forms (pprof gives it
// about 85% of Loop's time; the fault gave it 0). Both forms run in one
// statement (Loop's result discarded, its twin Loop2's kept) so that one
// profile times them side by side. The helpers' times are not compared
// with each other: on a loaded machine a descheduled stretch of a few
// milliseconds lands on whichever function the snapshot finds, and two
// identical 3 ms calls then differ by up to 2.5x in one profile (seen at
// load 9 on 2 cores); TestKeepTime compares whole totals over more calls.
func TestKeepInlinedHelper(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	dir, _ := filepath.Abs("testdata/helper")
	var msg string
	for round := 0; round < 3; round++ {
		res, err := Run(context.Background(), Options{Dir: dir, Funcs: []string{"Loop", "step", "Loop2", "step2"},
			Stmt: "Loop(1_000_000)\nSink = Loop2(1_000_000)", MaxTime: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		total := map[string]int64{}
		for _, f := range res.Profile.Funcs {
			total[f.Name] = f.TotalNS()
		}
		dStep, kStep := total["step"], total["step2"]
		ratio := float64(dStep) / float64(max(kStep, 1))
		dShare := float64(dStep) / float64(max(total["Loop"], 1))
		kShare := float64(kStep) / float64(max(total["Loop2"], 1))
		if dShare > 0.5 && kShare > 0.5 {
			return
		}
		msg = fmt.Sprintf("discarded: step %d ns of Loop's %d ns (%.0f%%); kept: step2 %d ns of Loop2's %d ns (%.0f%%); ratio %.2f",
			dStep, total["Loop"], 100*dShare, kStep, total["Loop2"], 100*kShare, ratio)
		t.Logf("round %d: %s", round, msg)
	}
	t.Errorf("%s: want the helper's share of its loop above 50%% in both forms", msg)
}
