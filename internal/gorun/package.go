package gorun

import (
	"errors"
	"fmt"
	"go/build"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// TempPackage is the package name that generated files must use when
// [BuildOptions].Dir is empty (the snippet then runs in a temporary module).
const TempPackage = "speedupsnippet"

// Package describes the Go package in a directory given with -C.
type Package struct {
	// Dir is the package's absolute directory.
	Dir string
	// Name is the package name, which a generated in-package file must use.
	Name string
	// ModuleRoot is the directory holding the go.mod of the package's module.
	ModuleRoot string
	// GoFiles are the absolute paths of the package's non-test .go files
	// that match the build constraints.
	GoFiles []string
	// TestFiles are the absolute paths of all *_test.go files in Dir, which
	// Build hides.
	TestFiles []string
}

// ResolvePackage checks that dir holds a Go package inside a module and
// describes it. tags are the build tags (comma or space separated) used to
// select the package's files. Errors are one line, fit to show a user.
func ResolvePackage(dir, tags string) (*Package, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("missing directory %s", dir)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	root := moduleRoot(abs)
	if root == "" {
		return nil, fmt.Errorf("%s is not inside a module (no go.mod in it or its parents)", dir)
	}
	ctx := build.Default
	ctx.BuildTags = splitTags(tags)
	bp, err := ctx.ImportDir(abs, build.ImportComment)
	var mp *build.MultiplePackageError
	switch {
	case errors.As(err, &mp):
		return nil, fmt.Errorf("%s holds several packages (%s)", dir, strings.Join(mp.Packages, ", "))
	case err != nil && len(bp.GoFiles) == 0 && len(bp.CgoFiles) == 0:
		return nil, fmt.Errorf("no Go package in %s", dir)
	case err != nil:
		return nil, fmt.Errorf("%s: %v", dir, err)
	}
	if len(bp.GoFiles) == 0 && len(bp.CgoFiles) == 0 {
		// Only test files: once they are hidden nothing is left.
		return nil, fmt.Errorf("no Go package in %s (only test files)", dir)
	}
	p := &Package{Dir: abs, Name: bp.Name, ModuleRoot: root}
	for _, f := range append(append([]string{}, bp.GoFiles...), bp.CgoFiles...) {
		p.GoFiles = append(p.GoFiles, filepath.Join(abs, f))
	}
	sort.Strings(p.GoFiles)
	p.TestFiles, err = testFiles(abs)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// moduleRoot returns the directory of the go.mod governing dir, or "".
func moduleRoot(dir string) string {
	for {
		if fi, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !fi.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// testFiles lists every *_test.go file of dir, whatever its build
// constraints, because any of them could break or disturb the build.
func testFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), "_test.go") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out, nil
}

func splitTags(tags string) []string {
	return strings.FieldsFunc(tags, func(r rune) bool { return r == ',' || r == ' ' })
}
