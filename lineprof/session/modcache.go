package session

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// modCopies holds writable copies of module-cache modules that hold
// profiled functions. The go command refuses overlays of files in the
// module cache, so the instrumented build uses a copy of the module and a
// temporary go.mod (passed with -modfile) that replaces the module with
// the copy. The user's go.mod, go.sum and module cache are never touched.
type modCopies struct {
	tmp    string
	copies map[string]string // module path -> copy directory
}

// copy copies the module in dir (module path path) once and returns the
// copy's directory.
func (m *modCopies) copy(path, dir string) (string, error) {
	if d, ok := m.copies[path]; ok {
		return d, nil
	}
	dst := filepath.Join(m.tmp, "mod", fmt.Sprint(len(m.copies)))
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o777)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o666)
	})
	if err != nil {
		return "", fmt.Errorf("copying module %s: %v", path, err)
	}
	if _, err := os.Stat(filepath.Join(dst, "go.mod")); err != nil {
		// A module without go.mod (from before modules) still needs one
		// to be the target of a directory replacement.
		if err := os.WriteFile(filepath.Join(dst, "go.mod"), []byte("module "+path+"\n"), 0o666); err != nil {
			return "", err
		}
	}
	m.copies[path] = dst
	return dst, nil
}

// buildFiles returns what points the instrumented build of the module
// rooted at or above dir at the copies: a temporary go.mod to pass as
// -modfile, or, in workspace mode (where the go command refuses -modfile),
// a temporary go.work to name in GOWORK (env).
func (m *modCopies) buildFiles(ctx context.Context, dir string) (modfile string, env []string, err error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOWORK")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", nil, fmt.Errorf("go env GOWORK: %v", err)
	}
	if gowork := strings.TrimSpace(string(out)); gowork != "" && gowork != "off" {
		wf, err := m.workfile(ctx, gowork)
		if err != nil {
			return "", nil, err
		}
		return "", []string{"GOWORK=" + wf}, nil
	}
	mf, err := m.modfile(ctx, dir)
	return mf, nil, err
}

// workfile writes a copy of the workspace file gowork, with absolute paths
// and a replace of each copied module, and its go.work.sum, and returns
// its path.
func (m *modCopies) workfile(ctx context.Context, gowork string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "work", "edit", "-json", gowork)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go work edit -json %s: %v", gowork, err)
	}
	type modVer struct{ Path, Version string }
	var w struct {
		Go, Toolchain string
		Use           []struct{ DiskPath string }
		Replace       []struct{ Old, New modVer }
	}
	if err := json.Unmarshal(out, &w); err != nil {
		return "", fmt.Errorf("%s: %v", gowork, err)
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
	b.WriteString("\n// Added by speedup lprun: instrumented copies of profiled modules.\n")
	for path, d := range m.copies {
		fmt.Fprintf(&b, "replace %s => %s\n", strconv.Quote(path), strconv.Quote(d))
	}
	wf := filepath.Join(m.tmp, "lprun.work")
	if err := os.WriteFile(wf, []byte(b.String()), 0o666); err != nil {
		return "", err
	}
	if sum, err := os.ReadFile(gowork + ".sum"); err == nil {
		if err := os.WriteFile(wf+".sum", sum, 0o666); err != nil {
			return "", err
		}
	}
	return wf, nil
}

// modfile writes the temporary go.mod (and its go.sum) for the module
// rooted at or above dir and returns its path.
func (m *modCopies) modfile(ctx context.Context, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOMOD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("%s is not in a module", dir)
	}
	src, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Write(src)
	b.WriteString("\n// Added by speedup lprun: instrumented copies of profiled modules.\n")
	for path, d := range m.copies {
		fmt.Fprintf(&b, "replace %s => %s\n", path, d)
	}
	mf := filepath.Join(m.tmp, "lprun.mod")
	if err := os.WriteFile(mf, []byte(b.String()), 0o666); err != nil {
		return "", err
	}
	// With -modfile=X.mod the go command reads X.sum.
	if sum, err := os.ReadFile(strings.TrimSuffix(gomod, ".mod") + ".sum"); err == nil {
		if err := os.WriteFile(filepath.Join(m.tmp, "lprun.sum"), sum, 0o666); err != nil {
			return "", err
		}
	}
	return mf, nil
}
