package gorun

import "testing"

func TestParseImportSpec(t *testing.T) {
	for _, tc := range []struct {
		spec, name, path string
		ok               bool
	}{
		{`pairs "example.com/distance"`, "pairs", "example.com/distance", true},
		{`"math/rand/v2"`, "rand", "math/rand/v2", true},
		{`"example.com/x/v10"`, "x", "example.com/x/v10", true},
		{`"example.com/v2"`, "example.com", "example.com/v2", true},
		{`"v2"`, "v2", "v2", true},
		{"`strings`", "strings", "strings", true},
		{` r   "math/rand" `, "r", "math/rand", true},
		{`pairs`, "", "", false},
		{`""`, "", "", false},
		{`"unterminated`, "", "", false},
	} {
		name, path, ok := ParseImportSpec(tc.spec)
		if name != tc.name || path != tc.path || ok != tc.ok {
			t.Errorf("ParseImportSpec(%q) = %q, %q, %v; want %q, %q, %v", tc.spec, name, path, ok, tc.name, tc.path, tc.ok)
		}
	}
}

// TestAddUsedImports: the specs whose names the file uses as qualifiers
// and does not import are added after the package clause, the rest of the
// file byte for byte.
func TestAddUsedImports(t *testing.T) {
	specs := []string{`pairs "example.com/distance"`, `"math/rand/v2"`, `"strings"`, `unused "example.com/unused"`}
	for _, tc := range []struct{ src, want string }{
		{"package p\n\nfunc f() { pairs.F(rand.N(3)) }\n",
			"package p\n\nimport (\n\tpairs \"example.com/distance\"\n\trand \"math/rand/v2\"\n)\n\nfunc f() { pairs.F(rand.N(3)) }\n"},
		// Already imported by that name (whatever the path): left alone.
		{"package p\n\nimport rand \"math/rand\"\n\nfunc f() { rand.Intn(3) }\n",
			"package p\n\nimport rand \"math/rand\"\n\nfunc f() { rand.Intn(3) }\n"},
		{"package p\n\nimport \"strings\"\n\nfunc f() { strings.Fields(\"\") }\n",
			"package p\n\nimport \"strings\"\n\nfunc f() { strings.Fields(\"\") }\n"},
		// Nothing used, or a file that does not parse: unchanged.
		{"package p\n\nfunc f() {}\n", "package p\n\nfunc f() {}\n"},
		{"package p\n\nfunc f() { pairs.F( }\n", "package p\n\nfunc f() { pairs.F( }\n"},
	} {
		if got := string(AddUsedImports([]byte(tc.src), specs)); got != tc.want {
			t.Errorf("AddUsedImports(%q):\n%s\nwant:\n%s", tc.src, got, tc.want)
		}
	}
}
