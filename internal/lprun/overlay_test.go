package lprun

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestOverlaidFiles: the package's files once an overlay is applied.
func TestOverlaidFiles(t *testing.T) {
	dir := "/p"
	disk := []string{"/p/a.go", "/p/b.go"}
	for _, tc := range []struct {
		name    string
		overlay map[string][]byte
		want    []string
	}{
		{"none", nil, disk},
		{"added", map[string][]byte{"/p/zz.go": []byte("x"), "/p/0.go": []byte("x")}, []string{"/p/0.go", "/p/a.go", "/p/b.go", "/p/zz.go"}},
		{"replaced", map[string][]byte{"/p/a.go": []byte("x")}, disk},
		{"hidden", map[string][]byte{"/p/a.go": nil, "/p/new.go": nil}, []string{"/p/b.go"}},
		{"not the package's", map[string][]byte{"/q/c.go": []byte("x"), "/p/sub/d.go": []byte("x"), "/p/x_test.go": []byte("x"), "/p/notes.txt": []byte("x")}, disk},
	} {
		if got := overlaidFiles(dir, disk, tc.overlay); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestOverlayProfiled: functions of files that exist only in the
// overlay (the kernel's cells, after a //line directive naming the cell)
// are found by -f, counted and reported at their lines in the file, with
// the overlay's text; a file of the overlay that is not profiled keeps its
// directive (a panic in it names the cell); nothing is written into the
// package.
func TestOverlayProfiled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs programs")
	}
	dir, _ := filepath.Abs("testdata/helper")
	before := dirFiles(t, dir)
	twice := filepath.Join(dir, "zz_cell1.go")
	twiceSrc := "package helper\n\n//line cell1:1:1\n// Twice runs Loop twice.\nfunc Twice(n int) uint64 {\n\tx := Loop(n)\n\treturn x + Loop(n)\n}\n"
	thrice := filepath.Join(dir, "zz_cell2.go")
	thriceSrc := "package helper\n\n//line cell2:1:1\nfunc Thrice(n int) uint64 {\n\tif n < 0 {\n\t\tpanic(\"negative\")\n\t}\n\treturn Twice(n) + Loop(n)\n}\n"
	overlay := map[string][]byte{twice: []byte(twiceSrc), thrice: []byte(thriceSrc)}
	helper := filepath.Join(dir, "helper.go")
	res, err := Run(context.Background(), Options{Dir: dir, Overlay: overlay, Funcs: []string{"Twice", "Loop"}, Stmt: "_ = Thrice(10)", MaxTime: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hitsByLine(res.Profile, twice), map[int]int64{6: 1, 7: 1}; !maps.Equal(got, want) {
		t.Errorf("Twice's hits %v, want %v", got, want)
	}
	// Loop: three calls of 10 steps.
	if got := hitsByLine(res.Profile, helper); got[19] != 30 {
		t.Errorf("Loop's hits %v, want 30 on line 19", got)
	}
	for _, f := range res.Profile.Funcs {
		if f.Name == "Twice" && (f.File != twice || f.Line != 5 || f.EndLine != 8 || len(f.Source) != 4 || f.Source[0] != "func Twice(n int) uint64 {") {
			t.Errorf("Twice reported at %s:%d-%d with source %q", f.File, f.Line, f.EndLine, f.Source)
		}
	}
	if !reflect.DeepEqual(overlay, map[string][]byte{twice: []byte(twiceSrc), thrice: []byte(thriceSrc)}) {
		t.Error("Run changed the caller's overlay")
	}

	// A panic in the overlay's unprofiled file: its frame names the cell.
	res, err = Run(context.Background(), Options{Dir: dir, Overlay: overlay, Funcs: []string{"Twice"}, Stmt: "_ = Thrice(-1)", MaxTime: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Panic == nil || !strings.Contains(res.Panic.Stack, "\tcell2:3 ") {
		t.Errorf("panic in Thrice: %+v", res.Panic)
	}
	if after := dirFiles(t, dir); !maps.Equal(before, after) {
		t.Errorf("the package's directory changed: %v, then %v", before, after)
	}

	// An overlay is for a statement in a package.
	if _, err := Run(context.Background(), Options{Overlay: overlay, Funcs: []string{"helper.Twice"}, Stmt: "_ = 1"}); err == nil || !strings.Contains(err.Error(), "overlay") {
		t.Errorf("overlay without Dir: %v", err)
	}
}

// dirFiles returns the names and contents of a directory's files.
func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		out[e.Name()] = string(b)
	}
	return out
}
