// Package prismtest starts a prism job server as its own process on this
// machine, for end-to-end tests of programs submitted with
// --runner universal --endpoint.
//
// Boot returns dist's boot program for workers started as processes by the
// job server (--environment_type=PROCESS).
//
// The prism binary is Beam's cmd/prism at the version of the module's
// go.mod, built once into a cache directory outside the repository
// ($SPEEDUP_PRISM names a ready binary; otherwise
// $XDG_CACHE_HOME or ~/.cache/speedup/prism-<version>), because building it
// takes minutes on a small machine.
package prismtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Version is the Beam SDK version of this module, for the cache's name.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/apache/beam/sdks/v2" {
				return d.Version
			}
		}
	}
	return "v2.77.0"
}

// Binary returns the path of a prism binary, building it if needed.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("SPEEDUP_PRISM"); p != "" {
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no cache directory for the prism binary: %v", err)
	}
	path := filepath.Join(cache, "speedup", "prism-"+Version())
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	// Build to a temporary name and rename: a concurrent or interrupted
	// build never leaves a half-written binary under the final name.
	tmp := path + ".tmp-" + strconv.Itoa(os.Getpid())
	cmd := exec.Command("go", "build", "-o", tmp, "github.com/apache/beam/sdks/v2/go/cmd/prism")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		t.Fatalf("building prism: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// Boot returns the path of dist's boot program (cmd/distboot), the command
// of a PROCESS environment, building it if needed. Its name carries the
// Beam version and a hash of its source, so that a change of either builds
// it again; it skips the test when the binary cannot be built.
func Boot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", "github.com/gospeedup/speedup/dist/cmd/distboot").Output()
	if err != nil {
		t.Skipf("cannot build dist's boot program for process workers: go list: %v", err)
	}
	src := strings.TrimSpace(string(out))
	files, _ := filepath.Glob(filepath.Join(src, "*.go"))
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Skipf("cannot build dist's boot program for process workers: %v", err)
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(data))
		h.Write(data)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no cache directory for dist's boot program: %v", err)
	}
	path := filepath.Join(cache, "speedup", fmt.Sprintf("distboot-%s-%x", Version(), h.Sum(nil)[:6]))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Skipf("cannot build dist's boot program for process workers: %v", err)
	}
	tmp := path + ".tmp-" + strconv.Itoa(os.Getpid())
	if out, err := exec.Command("go", "build", "-o", tmp, "github.com/gospeedup/speedup/dist/cmd/distboot").CombinedOutput(); err != nil {
		os.Remove(tmp)
		t.Skipf("cannot build dist's boot program for process workers: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// ProcessFlags returns the Beam flags that make a job server start each
// worker as a process of its own, with dist's boot program.
func ProcessFlags(boot string) []string {
	return []string{"--environment_type", "PROCESS", "--environment_config", ProcessConfig(boot)}
}

// ProcessConfig is the --environment_config of a PROCESS environment whose
// command is boot.
func ProcessConfig(boot string) string {
	b, _ := json.Marshal(map[string]string{"command": boot})
	return string(b)
}

// StartPool starts dist's boot program as a worker pool
// (distboot --worker_pool) on a free port and returns its address,
// "localhost:PORT", the --environment_config of an EXTERNAL environment.
// The pool is stopped when the test ends.
func StartPool(t testing.TB, boot string) string {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cmd := exec.Command(boot, "--worker_pool", "--port", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("the worker pool did not stop on SIGINT within 10 s")
		}
		if t.Failed() {
			t.Logf("the worker pool's log:\n%s", log.String())
		}
	})
	waitServing(t, port, done, "the worker pool")
	return fmt.Sprintf("localhost:%d", port)
}

// waitServing waits until something accepts connections on port, failing
// the test if the process whose end done reports ends first.
func waitServing(t testing.TB, port int, done chan error, what string) {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("%s exited before serving: %v", what, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not serving on %s after 60 s", what, addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Start starts a prism job server on a free port and returns its endpoint,
// "localhost:PORT". The server is stopped when the test ends.
func Start(t testing.TB) string {
	t.Helper()
	bin := Binary(t)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--job_port", strconv.Itoa(port), "--serve_http=false", "--log_level", "warn")
	// Prism logs an error each time it stops a worker process at the end
	// of a job: show its log only when the test fails.
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel() // kills the process
		<-done
		if t.Failed() {
			t.Logf("the prism job server's log:\n%s", log.String())
		}
	})
	waitServing(t, port, done, "prism")
	return fmt.Sprintf("localhost:%d", port)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
