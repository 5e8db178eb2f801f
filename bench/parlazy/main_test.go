package main

import (
	"context"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

var verdictRE = regexp.MustCompile(`(?m): (ok|MISSED|too short|INVALID)( \(.*\))?$`)

// go run ./bench/parlazy -reps 3 printed "±NaN%" (the spread had no value
// below 4 runs) and judged 1 or 2 runs ok or MISSED. Small graphs and
// maps, so that the test is quick: the output's words are what is
// checked, never the times.
func TestFewReps(t *testing.T) {
	ctx := context.Background()
	for _, reps := range []int{1, 2, 3} {
		var b strings.Builder
		benchLazy(ctx, &b, reps, 200)
		benchPar(ctx, &b, reps, 20_000, runtime.GOMAXPROCS(0))
		out := b.String()
		if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
			t.Errorf("-reps %d: NaN or Inf printed:\n%s", reps, out)
		}
		if spreads := strings.Count(out, "n/a (too few runs)"); reps < 3 && spreads != 3 || reps >= 3 && spreads != 0 {
			t.Errorf("-reps %d: %d spreads n/a, want 3 below 3 runs, else none:\n%s", reps, spreads, out)
		}
		// Three verdicts; below 3 runs each says too short, unless the
		// figure is impossible (tiny maps on a busy machine can be).
		verdicts := verdictRE.FindAllStringSubmatch(out, -1)
		if len(verdicts) != 3 {
			t.Errorf("-reps %d: %d verdicts, want 3:\n%s", reps, len(verdicts), out)
		}
		for _, v := range verdicts {
			if short := v[1] == "too short"; reps < 3 && !short && v[1] != "INVALID" || reps >= 3 && short {
				t.Errorf("-reps %d: verdict %q:\n%s", reps, v[0], out)
			}
		}
		if testing.Verbose() {
			t.Logf("-reps %d:\n%s", reps, out)
		}
	}
}
