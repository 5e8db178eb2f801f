package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive reports whether process pid exists and is not a zombie (a killed
// orphan may wait as one for a parent that does not reap it).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	// The state follows the command name, which is in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// TestSignalsStopEverything runs speedup on a snippet that hangs (after
// starting a grandchild process of its own), sends speedup alone a
// signal once the snippet runs (twice, as timeout does), and checks the exit status, the one
// message, and that no process and no temporary file survive: SIGTERM
// and SIGHUP (as sent by "timeout 4 speedup timeit ..." or a closed
// terminal) used to leave the snippet running for its full hour and
// megabytes of temporary directories.
func TestSignalsStopEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs snippet programs")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	golden, err := filepath.Abs(filepath.Join("testdata", "lprun", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	// hang starts a grandchild, reports both pids in mark, and sleeps.
	hang := func(mark string) string {
		return fmt.Sprintf(`c := exec.Command("sleep", "3600")
if err := c.Start(); err != nil {
	panic(err)
}
os.WriteFile(%q+".tmp", []byte(fmt.Sprint(os.Getpid(), " ", c.Process.Pid)), 0o666)
os.Rename(%q+".tmp", %q)
time.Sleep(time.Hour)`, mark, mark, mark)
	}
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		args func(mark string) []string
		code int
		msg  string
	}{
		{"timeit SIGTERM", syscall.SIGTERM, func(m string) []string { return []string{"timeit", "-n1", "-r1", hang(m)} }, 143, "speedup: interrupted (SIGTERM)\n"},
		{"timeit SIGINT", syscall.SIGINT, func(m string) []string { return []string{"timeit", "-n1", "-r1", hang(m)} }, 130, "speedup: interrupted\n"},
		{"scaling SIGHUP", syscall.SIGHUP, func(m string) []string { return []string{"scaling", "--cpu", "1", "-n1", "-r1", hang(m)} }, 129, "speedup: interrupted (SIGHUP)\n"},
		{"lprun SIGTERM", syscall.SIGTERM, func(m string) []string {
			return []string{"lprun", "-C", golden, "-f", "fib", "fib(3)\n" + hang(m)}
		}, 143, "speedup: interrupted (SIGTERM)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			mark := filepath.Join(t.TempDir(), "pids")
			// The test binary runs as speedup itself (see TestMain).
			cmd := exec.Command(os.Args[0], tc.args(mark)...)
			cmd.Dir = t.TempDir() // outside any package
			cmd.Env = append(os.Environ(), "SPEEDUP_TEST_AS_MAIN=1", "TMPDIR="+tmp)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()

			// Wait for the snippet to run: the build comes first, and a
			// loaded machine may take a while.
			var pids []int
			deadline := time.Now().Add(3 * time.Minute)
			for len(pids) == 0 {
				select {
				case err := <-exited:
					t.Fatalf("speedup ended before the snippet ran: %v\nstdout %s\nstderr %s", err, stdout.String(), stderr.String())
				case <-time.After(50 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("the snippet did not start in 3 minutes; stderr %s", stderr.String())
				}
				b, err := os.ReadFile(mark)
				if err != nil {
					continue
				}
				for _, f := range strings.Fields(string(b)) {
					n, _ := strconv.Atoi(f)
					pids = append(pids, n)
				}
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			// "timeout" signals speedup twice (itself, then its process
			// group): the repeat must not skip the clean-up.
			time.Sleep(10 * time.Millisecond)
			cmd.Process.Signal(tc.sig)
			var err error
			select {
			case err = <-exited:
			case <-time.After(time.Minute):
				cmd.Process.Kill()
				t.Fatalf("speedup did not exit within a minute of %v", tc.sig)
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Errorf("exit %v, want status %d", err, tc.code)
			}
			if got := stderr.String(); !strings.HasSuffix(got, tc.msg) || strings.Count(got, "speedup: ") != 1 {
				t.Errorf("stderr %q, want it to end with the one message %q", got, tc.msg)
			}
			// Every process is gone, including the snippet's own child.
			for _, pid := range pids {
				gone := false
				for range 100 {
					if !alive(pid) {
						gone = true
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
				if !gone {
					t.Errorf("process %d survived speedup", pid)
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			if left := tempFiles(tmp); len(left) > 0 {
				t.Errorf("temporary files left behind: %v", left)
			}
		})
	}
}

// TestTimeout stops a hanging snippet with --timeout: exit status 1, one
// line, no temporary file left.
func TestTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs snippet programs")
	}
	golden, err := filepath.Abs(filepath.Join("testdata", "lprun", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Chdir(t.TempDir())
	for _, args := range [][]string{
		{"timeit", "-n1", "-r1", "--timeout", "300ms", "time.Sleep(time.Hour)"},
		{"scaling", "--cpu", "1", "-n1", "-r1", "--timeout", "300ms", "time.Sleep(time.Hour)"},
		// lprun's deadline covers its builds too: whether it strikes
		// during a build or the run, the outcome is the same.
		{"lprun", "-C", golden, "-f", "fib", "--timeout", "3s", "fib(3)\ntime.Sleep(time.Hour)"},
	} {
		start := time.Now()
		code, out, errOut := runSpeedup(t, "", args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "(--timeout)") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 1 and one line naming --timeout", args, code, out, errOut)
		}
		if d := time.Since(start); d > 5*time.Minute {
			t.Errorf("%q took %v", args, d)
		}
		if left := tempFiles(tmp); len(left) > 0 {
			t.Errorf("%q: temporary files left behind: %v", args, left)
		}
	}
}

// tempFiles lists the entries of the temporary directory dir, except the
// "goimports" index cache that golang.org/x/tools keeps in the temporary
// directory of test binaries (in the user's cache directory otherwise).
func tempFiles(dir string) []string {
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		if e.Name() != "goimports" {
			names = append(names, e.Name())
		}
	}
	return names
}
