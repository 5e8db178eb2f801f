package main

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gospeedup/speedup/bench/internal/benchcheck"
)

// truthChildEnv makes the test binary run truth() and exit, so that the
// test can read what the runtime printed on standard error: the runtime
// writes its warnings to file descriptor 2 itself, which no Go writer
// can catch in process.
const truthChildEnv = "BENCH_LPRUN_TRUTH_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(truthChildEnv) != "" {
		file, err := filepath.Abs(filepath.Join("..", "..", "examples", "distance", "distance.go"))
		if err == nil {
			var start, end int
			if start, end, err = funcLines(file, "distance"); err == nil {
				_, _, err = truth(500*time.Millisecond, file, start, end)
			}
		}
		if err != nil {
			os.Stdout.WriteString("truth: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The bench printed "runtime: cannot set cpu profile rate until previous
// profile has finished." because truth() set a rate before
// pprof.StartCPUProfile, which sets its own while that profile is on.
func TestTruthPrintsNothingOnStderr(t *testing.T) {
	if testing.Short() {
		t.Skip("profiles distance() for half a second")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), truthChildEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("truth: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	if strings.Contains(stderr.String(), "cannot set cpu profile rate") || stderr.Len() != 0 {
		t.Errorf("truth() wrote on standard error:\n%s", stderr.String())
	}
}

func TestCPUProfileLinesRejectsGarbage(t *testing.T) {
	if _, _, err := cpuProfileLines([]byte("not a profile"), "x.go", 1, 2); err == nil {
		t.Error("a malformed profile was accepted")
	}
}

// capture returns what f prints on standard output.
func capture(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan []byte)
	go func() {
		var b bytes.Buffer
		b.ReadFrom(r)
		done <- b.Bytes()
	}()
	f()
	os.Stdout = old
	w.Close()
	return string(<-done)
}

// fakeSession is a plausible session's figures.
func fakeSession(total float64) session {
	return session{total: total, totalErr: 0.05, pct: map[int]float64{48: 40, 49: 35}, pctErr: 9,
		instr: 1.4e6, plain: 1e6, slowdown: 0.01, slErr: 0.02, slowPairs: 4, intervalNS: 4e7,
		hits: map[int]int64{48: 1010100}, events: 3040206, local: 1e6}
}

// With -sessions 1 or 2 the bench printed "±NaN%" spreads and judged a
// rate of disagreements over no pair "MISSED": every statistic must be a
// number or say why there is none, and every verdict on too few sessions
// must say "too short".
func TestReportsWithFewSessions(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4} {
		var ss []session
		for i := range n {
			ss = append(ss, fakeSession(1e6+float64(i)*1e4))
		}
		out := capture(t, func() {
			reportObserver(observedCost(ss2d(n), ss2d(n)), observedCost(ss2d(n), ss2d(n)), ss)
			reportAgreement(ss)
			reportMedians(ss, true, 3*time.Second, time.Duration(n)*4*time.Second)
		})
		if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
			t.Errorf("%d sessions: a NaN or Inf was printed:\n%s", n, out)
		}
		// Too short: with 1 or 2 sessions both rates (0 or 1 pair) and
		// the 3 medians' ratios; with 3, the rates over 2 pairs.
		if got, want := strings.Count(out, "too short ("), map[int]int{1: 5, 2: 5, 3: 2, 4: 0}[n]; got != want {
			t.Errorf("%d sessions: %d verdicts say too short, want %d:\n%s", n, got, want, out)
		}
		// The spreads of the 2 observer costs (n runs here) and of the 3
		// medians.
		if got := strings.Count(out, "n/a (too few runs)"); n < benchcheck.MinRuns && got != 5 || n >= benchcheck.MinRuns && got != 0 {
			t.Errorf("%d sessions: %d spreads say too few runs:\n%s", n, got, out)
		}
		if n < 4 && regexp.MustCompile(`(?m)pairs differing .*(ok|MISSED)$`).MatchString(out) {
			t.Errorf("%d sessions: a rate over %d pairs was judged:\n%s", n, n-1, out)
		}
		if testing.Verbose() {
			t.Logf("%d sessions:\n%s", n, out)
		}
	}
}

// ss2d is n runs of about a millisecond.
func ss2d(n int) []time.Duration {
	var ds []time.Duration
	for i := range n {
		ds = append(ds, time.Millisecond+time.Duration(i)*time.Microsecond)
	}
	return ds
}

// A figure whose stated error straddles its target is undecided: the
// bench judged "9.1 points (±16.5)" ok against "<= 10 points".
func TestBelow(t *testing.T) {
	for _, tc := range []struct {
		x, err float64
		check  error
		want   string
	}{
		{9.1, 16.5, nil, "undecided (noise)"},
		{14.3, 18.2, nil, "undecided (noise)"},
		{2, 3, nil, "ok"},
		{30, 5, nil, "MISSED"},
		{5, math.NaN(), nil, "undecided (noise)"},
		{2, 3, benchcheck.Cost("x", -1), "INVALID ("},
	} {
		out := capture(t, func() { below("figure", "v", "e", "<= 10 points", tc.x, tc.err, 10, tc.check) })
		if !strings.Contains(out, "<= 10 points   "+tc.want) {
			t.Errorf("%v ± %v: %q, want %q", tc.x, tc.err, out, tc.want)
		}
	}
}
