package gorun

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// In workspace mode the go command writes go.work.sum next to the user's
// go.work when it needs checksums that no go.sum holds (goimports' "go
// list -m -e -json" did, and so can a build). Nothing may change in the
// user's tree: the go command gets a copy of the workspace file in a
// temporary directory (GOWORK=copy), with absolute paths, next to a copy of
// its go.work.sum, where its writes go.

// GoWork returns the workspace file governing dir ("go env GOWORK" run
// there with env, nil meaning speedup's own), or "" outside a workspace.
func GoWork(ctx context.Context, dir string, env []string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOWORK")
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOWORK: %v", err)
	}
	w := strings.TrimSpace(string(out))
	if w == "off" {
		w = ""
	}
	return w, nil
}

// workspaceCopy returns the environment ("GOWORK=...") that points the go
// command at a copy, under tmp, of the workspace file governing dir, or nil
// outside a workspace.
func workspaceCopy(ctx context.Context, dir, tmp string, env []string) ([]string, error) {
	w, err := GoWork(ctx, dir, env)
	if err != nil || w == "" {
		return nil, err
	}
	d, err := os.MkdirTemp(tmp, "work-")
	if err != nil {
		return nil, err
	}
	wf := filepath.Join(d, "go.work")
	if err := WriteWorkFile(ctx, w, wf, nil); err != nil {
		return nil, err
	}
	return []string{"GOWORK=" + wf}, nil
}

// WorkspaceCopy returns the environment ("GOWORK=...") that points the go
// command at a copy, under tmp, of the workspace file governing dir, or nil
// outside a workspace: for the go commands that a caller runs itself (go
// list), which would otherwise write the workspace's go.work.sum.
func WorkspaceCopy(ctx context.Context, dir, tmp string) ([]string, error) {
	return workspaceCopy(ctx, dir, tmp, os.Environ())
}

// WriteWorkFile writes to dst a copy of the workspace file gowork, with
// absolute paths, its replacements, and one more replacement for each
// module of replace (module path -> directory), and copies its go.work.sum
// next to dst.
func WriteWorkFile(ctx context.Context, gowork, dst string, replace map[string]string) error {
	cmd := exec.CommandContext(ctx, "go", "work", "edit", "-json", gowork)
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go work edit -json %s: %v", gowork, err)
	}
	type modVer struct{ Path, Version string }
	var w struct {
		Go, Toolchain string
		Use           []struct{ DiskPath string }
		Replace       []struct{ Old, New modVer }
	}
	if err := json.Unmarshal(out, &w); err != nil {
		return fmt.Errorf("%s: %v", gowork, err)
	}
	wdir := filepath.Dir(gowork)
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(wdir, p)
	}
	quote := func(mv modVer) string {
		s := strconv.Quote(mv.Path)
		if mv.Version != "" {
			s += " " + mv.Version
		}
		return s
	}
	var b strings.Builder
	fmt.Fprintf(&b, "go %s\n", w.Go)
	if w.Toolchain != "" {
		fmt.Fprintf(&b, "toolchain %s\n", w.Toolchain)
	}
	for _, u := range w.Use {
		fmt.Fprintf(&b, "use %s\n", strconv.Quote(abs(u.DiskPath)))
	}
	for _, r := range w.Replace {
		if r.New.Version == "" && (strings.HasPrefix(r.New.Path, "./") || strings.HasPrefix(r.New.Path, "../")) {
			r.New.Path = abs(r.New.Path)
		}
		fmt.Fprintf(&b, "replace %s => %s\n", quote(r.Old), quote(r.New))
	}
	if len(replace) > 0 {
		b.WriteString("\n// Added by speedup: instrumented copies of profiled modules.\n")
		for path, d := range replace {
			fmt.Fprintf(&b, "replace %s => %s\n", strconv.Quote(path), strconv.Quote(d))
		}
	}
	if err := os.WriteFile(dst, []byte(b.String()), 0o666); err != nil {
		return err
	}
	if sum, err := os.ReadFile(gowork + ".sum"); err == nil {
		if err := os.WriteFile(dst+".sum", sum, 0o666); err != nil {
			return err
		}
	}
	return nil
}

// envMu serializes the changes of the process's environment by
// withWorkspaceCopy.
var envMu sync.Mutex

// withWorkspaceCopy runs f with GOWORK pointing at a copy of the workspace
// governing dir, if any. golang.org/x/tools/imports runs the go command with
// the process's environment and offers no other way to set it.
func withWorkspaceCopy(dir string, f func() error) error {
	envMu.Lock()
	defer envMu.Unlock()
	w, err := GoWork(context.Background(), dir, nil)
	if err != nil || w == "" {
		return f()
	}
	tmp, err := os.MkdirTemp("", "speedup-work-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	wf := filepath.Join(tmp, "go.work")
	if err := WriteWorkFile(context.Background(), w, wf, nil); err != nil {
		return err
	}
	old, had := os.LookupEnv("GOWORK")
	os.Setenv("GOWORK", wf)
	defer func() {
		if had {
			os.Setenv("GOWORK", old)
		} else {
			os.Unsetenv("GOWORK")
		}
	}()
	return f()
}
