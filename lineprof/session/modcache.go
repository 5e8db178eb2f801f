package session

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
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
