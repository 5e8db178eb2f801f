package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gospeedup/speedup/dist/internal/prismtest"
)

const want = "[0 1 4] 333283335000\n"

// build compiles the program as written, as a user would.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "contract")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
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
	run(t, build(t))
}

// A prism job server started as its own process, the program submitted to
// it as to any portable runner (Flink, Spark): workers run in the program
// (LOOPBACK, dist's default for a job server on this machine).
func TestContractJobServer(t *testing.T) {
	bin := build(t)
	endpoint := prismtest.Start(t)
	run(t, bin, "--runner", "universal", "--endpoint", endpoint)
	// Beam's own flags pass through: the same with the environment named.
	run(t, bin, "--runner", "universal", "--endpoint", endpoint, "--environment_type", "LOOPBACK")
}
