package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
