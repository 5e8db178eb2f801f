package lprun

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gospeedup/speedup/internal/gorun"
)

// modCopies holds writable copies of module-cache modules that hold
// profiled functions. The go command refuses overlays of files in the
// module cache, so the instrumented build uses a copy of the module and a
// temporary go.mod (passed with -modfile) that replaces the module with
// the copy. The user's go.mod, go.sum and module cache are never touched.
type modCopies struct {
	tmp        string
	gomodcache string            // the module cache's root (go env GOMODCACHE)
	copies     map[string]string // module path -> copy directory
}

// copy returns the directory of a copy of the module in dir (module path
// path): the kept copy (see keptCopy), or, when it cannot be kept, a copy
// in the run's temporary directory.
func (m *modCopies) copy(path, dir string) (string, error) {
	if d, ok := m.copies[path]; ok {
		return d, nil
	}
	if root, err := modCopyRoot(); err == nil && m.gomodcache != "" {
		if d, err := keptCopy(root, m.gomodcache, path, dir); err == nil {
			m.copies[path] = d
			return d, nil
		}
	}
	dst := filepath.Join(m.tmp, "mod", fmt.Sprint(len(m.copies)))
	if err := copyModule(path, dir, dst); err != nil {
		return "", err
	}
	m.copies[path] = dst
	return dst, nil
}

// place returns where the build reads file of package p: the file
// itself, or, for a module-cache module, which the go command will not
// overlay, its place in a copy of the module.
func (m *modCopies) place(p *pkgInfo, file string) (string, error) {
	if p.ModuleDir == "" || !m.inModCache(p.ModuleDir) {
		return file, nil
	}
	dir, err := m.copy(p.ModulePath, p.ModuleDir)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(p.ModuleDir, file)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, rel), nil
}

// inModCache reports whether dir is in the module cache.
func (m *modCopies) inModCache(dir string) bool {
	if m.gomodcache == "" {
		out, err := exec.Command("go", "env", "GOMODCACHE").Output()
		if err != nil {
			return false
		}
		m.gomodcache = strings.TrimSpace(string(out))
	}
	return m.gomodcache != "" && strings.HasPrefix(dir, m.gomodcache+string(filepath.Separator))
}

// buildFiles returns what points the instrumented build of the module
// rooted at or above dir at the copies: a temporary go.mod to pass as
// -modfile, or, in workspace mode (where the go command refuses -modfile),
// a temporary go.work to name in GOWORK (env).
func (m *modCopies) buildFiles(ctx context.Context, dir string) (modfile string, env []string, err error) {
	gowork, err := gorun.GoWork(ctx, dir, nil)
	if err != nil {
		return "", nil, err
	}
	if gowork != "" {
		wf := filepath.Join(m.tmp, "lprun.work")
		if err := gorun.WriteWorkFile(ctx, gowork, wf, m.copies); err != nil {
			return "", nil, err
		}
		return "", []string{"GOWORK=" + wf}, nil
	}
	mf, err := m.modfile(ctx, dir)
	return mf, nil, err
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
