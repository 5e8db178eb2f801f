package lprun

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// goModCache returns the module cache and the directory of a module of
// this repository's build list that it holds (golang.org/x/sync).
func goModCache(t *testing.T) (string, string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/sync").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	mc, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(mc)), strings.TrimSpace(string(out))
}

// TestHashTreeMatchesGoSum: the hash of a module's directory is the one
// the module cache recorded (go.sum's h1:), as go mod verify checks.
func TestHashTreeMatchesGoSum(t *testing.T) {
	gomodcache, dir := goModCache(t)
	key, _ := filepath.Rel(gomodcache, dir)
	i := strings.LastIndex(key, "@")
	zh, err := os.ReadFile(filepath.Join(gomodcache, "cache", "download", key[:i], "@v", key[i+1:]+".ziphash"))
	if err != nil {
		t.Skipf("no ziphash: %v", err)
	}
	got, err := hashTree(dir, unescapeModule(key))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(zh)); got != want {
		t.Errorf("hashTree = %s, want %s", got, want)
	}
	if got := unescapeModule("github.com/!burnt!sushi/toml@v1.0.0"); got != "github.com/BurntSushi/toml@v1.0.0" {
		t.Errorf("unescapeModule = %s", got)
	}
}

// TestKeptCopy: the copy is made once and kept (same directory, same
// files); concurrent runs agree; a copy that was changed is replaced.
func TestKeptCopy(t *testing.T) {
	gomodcache, dir := goModCache(t)
	root := t.TempDir()
	var wg sync.WaitGroup
	dsts := make([]string, 4)
	errs := make([]error, 4)
	for i := range dsts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dsts[i], errs[i] = keptCopy(root, gomodcache, "golang.org/x/sync", dir)
		}()
	}
	wg.Wait()
	for i := range dsts {
		if errs[i] != nil || dsts[i] != dsts[0] {
			t.Fatalf("run %d: %s, %v (first: %s)", i, dsts[i], errs[i], dsts[0])
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(dsts[0]))
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
	file := filepath.Join(dsts[0], "errgroup", "errgroup.go")
	st1, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	// Kept: the second use does not rewrite it.
	if d, err := keptCopy(root, gomodcache, "golang.org/x/sync", dir); err != nil || d != dsts[0] {
		t.Fatalf("second use: %s, %v", d, err)
	}
	if st2, _ := os.Stat(file); !st2.ModTime().Equal(st1.ModTime()) {
		t.Errorf("the kept copy was rewritten")
	}
	// Changed: replaced by a fresh copy.
	os.Chmod(file, 0o644)
	if err := os.WriteFile(file, []byte("package errgroup\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if d, err := keptCopy(root, gomodcache, "golang.org/x/sync", dir); err != nil || d != dsts[0] {
		t.Fatalf("after a change: %s, %v", d, err)
	}
	b, _ := os.ReadFile(file)
	orig, _ := os.ReadFile(filepath.Join(dir, "errgroup", "errgroup.go"))
	if string(b) != string(orig) {
		t.Errorf("the changed copy was not replaced")
	}
}
