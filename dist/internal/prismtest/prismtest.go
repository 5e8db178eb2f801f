// Package prismtest starts a prism job server as its own process on this
// machine, for end-to-end tests of programs submitted with
// --runner universal --endpoint.
//
// The prism binary is Beam's cmd/prism at the version of the module's
// go.mod, built once into a cache directory outside the repository
// ($SPEEDUP_PRISM names a ready binary; otherwise
// $XDG_CACHE_HOME or ~/.cache/speedup/prism-<version>), because building it
// takes minutes on a small machine.
package prismtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
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
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel() // kills the process
		<-done
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return fmt.Sprintf("localhost:%d", port)
		}
		select {
		case err := <-done:
			t.Fatalf("prism exited before serving: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("prism not serving on %s after 60 s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
