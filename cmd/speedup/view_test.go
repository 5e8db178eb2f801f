package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gospeedup/speedup/lineprof"
)

// saveProfile writes a profile of one function with n lines of source.
func saveProfile(t *testing.T, path string, n int, body string) {
	t.Helper()
	src := []string{"func f() {"}
	for range n - 2 {
		src = append(src, "\t"+body)
	}
	src = append(src, "}")
	p := &lineprof.Profile{Unit: 1e-9, Funcs: []*lineprof.Func{{
		File: "/src/a.go", Name: "f", Line: 10, EndLine: 10 + n - 1, Source: src,
		Lines: []lineprof.Line{{Line: 11, Hits: 3, TimeNS: 30}},
	}}}
	if err := p.Save(path); err != nil {
		t.Fatal(err)
	}
}

// Each kind of bad profile gets one line and exit status 1, never a trace
// nor a hang.
func TestViewRefuses(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	saveProfile(t, a, 3, "x++")
	saveProfile(t, b, 3, "y++")
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	neg := filepath.Join(dir, "neg.json")
	os.WriteFile(neg, []byte(`{"unit":1e-9,"functions":[{"file":"a.go","function":"f","line":1,"end_line":1,"source":["x"],"lines":[{"line":1,"hits":-4,"time_ns":1}]}]}`), 0o666)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"source differs", []string{a, b}, "speedup: view: function f (/src/a.go:10) has different source in " + a + " and " + b + " (the file changed between the runs): view them separately\n"},
		{"FIFO profile", []string{fifo}, "speedup: " + fifo + ": not a regular file (a FIFO)\n"},
		{"device profile", []string{"/dev/zero"}, "speedup: /dev/zero: not a regular file (a device)\n"},
		{"negative hits", []string{neg}, "speedup: " + neg + ": function f: line 1: negative hits or time\n"},
	} {
		done := make(chan struct{})
		var code int
		var stdout, stderr string
		go func() {
			code, stdout, stderr = runLprunCLI(t, "", "view", c.args...)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: view hangs", c.name)
		}
		if code != 1 || stderr != c.want || stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 1 and %q", c.name, code, stdout, stderr, c.want)
		}
	}
	// The same source merges.
	if code, _, stderr := runLprunCLI(t, "", "view", a, a); code != 0 {
		t.Errorf("view a a: exit %d: %s", code, stderr)
	}
}

// -T writes through symbolic links, keeps a file's mode, and writes to a
// FIFO in place.
func TestViewTextFileKinds(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "p.json")
	saveProfile(t, prof, 3, "x++")
	real := filepath.Join(dir, "real.txt")
	os.WriteFile(real, nil, 0o600)
	os.Chmod(real, 0o600)
	link := filepath.Join(dir, "out.txt")
	os.Symlink("real.txt", link)
	code, stdout, stderr := runLprunCLI(t, "", "view", "-T", link, prof)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("-T replaced the symbolic link: %v %v", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(real); string(b) != stdout {
		t.Errorf("link target holds %q, want the report", b)
	}
	if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 kept", fi.Mode().Perm())
	}
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o600)
	got := make(chan string, 1)
	go func() { b, _ := os.ReadFile(fifo); got <- string(b) }()
	if code, stdout, stderr = runLprunCLI(t, "", "view", "-T", fifo, prof); code != 0 {
		t.Fatalf("-T FIFO: exit %d: %s", code, stderr)
	}
	if s := <-got; s != stdout {
		t.Errorf("FIFO reader got %q", s)
	}
	if fi, _ := os.Lstat(fifo); fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("-T replaced the FIFO by %v", fi.Mode())
	}
	if code, _, stderr := runLprunCLI(t, "", "view", "-T", filepath.Join(dir, "no", "r.txt"), prof); code != 2 || !strings.Contains(stderr, "no directory") {
		t.Errorf("-T in a missing directory: exit %d, %q", code, stderr)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// An interrupted view exits at once with 128+signal and leaves no
// temporary file. The test re-runs its binary as "speedup view -T" with a
// stdout nobody reads, so that the command is blocked in its output when
// the signal comes.
func TestViewInterrupted(t *testing.T) {
	if env := os.Getenv("SPEEDUP_TEST_VIEW"); env != "" {
		args := strings.Split(env, "\n")
		os.Exit(run(append([]string{"view"}, args...), os.Stdin, os.Stdout, os.Stderr))
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		dir := t.TempDir()
		prof := filepath.Join(dir, "p.json")
		saveProfile(t, prof, 5000, "x++ // a line long enough to fill the pipe")
		out := filepath.Join(dir, "r.txt")
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestViewInterrupted$")
		cmd.Env = append(os.Environ(), "SPEEDUP_TEST_VIEW=-T\n"+out+"\n"+prof)
		cmd.Stdout = w
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		// Wait until the report fills the pipe: view is then writing.
		buf := make([]byte, 1)
		if _, err := r.Read(buf); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		cmd.Process.Signal(sig)
		err = cmd.Wait()
		r.Close()
		var ee *exec.ExitError
		want := 128 + int(sig)
		if !errors.As(err, &ee) || ee.ExitCode() != want || !strings.HasSuffix(errOut.String(), (&signalError{sig}).Error()+"\n") {
			t.Errorf("%v: %v, stderr %q; want exit %d", sig, err, errOut.String(), want)
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if e.Name() != "p.json" && e.Name() != "r.txt" {
				t.Errorf("%v: file left behind: %s", sig, e.Name())
			}
		}
	}
}
