package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gospeedup/speedup/dist/internal/prismtest"
)

const want = "[0 1 4] 333283335000\n"

// bin is the program as written, compiled once (linking a Beam program
// takes seconds) as a user would.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "contract")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "contract")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func run(t *testing.T, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s %v: %v\n%s%s", bin, args, err, out, stderr)
	}
	if string(out) != want {
		t.Errorf("%v: output %q, want %q", args, out, want)
	}
}

// The default runner: prism in this process, no flags.
func TestContractDefault(t *testing.T) {
	run(t, bin)
}

// A prism job server started as its own process, the program submitted to
// it as to any portable runner (Flink, Spark): workers run in the program
// (LOOPBACK, dist's default for a job server on this machine).
func TestContractJobServer(t *testing.T) {
	endpoint := prismtest.Start(t)
	run(t, bin, "--runner", "universal", "--endpoint", endpoint)
	// Beam's own flags pass through: the same with the environment named.
	run(t, bin, "--runner", "universal", "--endpoint", endpoint, "--environment_type", "LOOPBACK")
}

// The same job server starting each worker as a process of its own, from a
// copy of this program's binary that the driver stages (a PROCESS
// environment with dist's boot program): driver and workers share no
// memory, items and results travel encoded, through the pipeline and the
// job's files.
func TestContractProcessWorkers(t *testing.T) {
	boot := prismtest.Boot(t)
	endpoint := prismtest.Start(t)
	run(t, bin, append([]string{"--runner", "universal", "--endpoint", endpoint}, prismtest.ProcessFlags(boot)...)...)
	// Prism in the program, its workers in processes: their output stays
	// out of the program's (run compares it whole).
	run(t, bin, prismtest.ProcessFlags(boot)...)
}
