package lineprof

import "testing"

func TestParseFuncName(t *testing.T) {
	for _, c := range []struct {
		in   string
		want FuncName
		bad  bool
	}{
		{in: "distance", want: FuncName{Name: "distance"}},
		{in: "strings.Fields", want: FuncName{Pkg: "strings", Name: "Fields", Ambiguous: true}},
		{in: "T.M", want: FuncName{Pkg: "T", Name: "M", Ambiguous: true}},
		{in: "(*T).M", want: FuncName{Recv: "T", Ptr: true, Name: "M"}},
		{in: "pkg.(*T).M", want: FuncName{Pkg: "pkg", Recv: "T", Ptr: true, Name: "M"}},
		{in: "pkg.T.M", want: FuncName{Pkg: "pkg", Recv: "T", Name: "M"}},
		{in: "golang.org/x/exp/slices.Sort", want: FuncName{Pkg: "golang.org/x/exp/slices", Name: "Sort"}},
		{in: "example.com/a/b.(*T).M", want: FuncName{Pkg: "example.com/a/b", Recv: "T", Ptr: true, Name: "M"}},
		{in: "example.com/a/b.T.M", want: FuncName{Pkg: "example.com/a/b", Recv: "T", Name: "M"}},
		{in: "math/rand/v2.Float64", want: FuncName{Pkg: "math/rand/v2", Name: "Float64"}},
		{in: "Sum[int]", want: FuncName{Name: "Sum"}},
		{in: "(*List[T]).Push", want: FuncName{Recv: "List", Ptr: true, Name: "Push"}},
		{in: "Map[K,V].Get", want: FuncName{Pkg: "Map", Name: "Get", Ambiguous: true}},
		{in: "", bad: true},
		{in: "a b", bad: true},
		{in: "(*T.M", bad: true},
		{in: "(T).M", bad: true},
		{in: "a.b.c.d", bad: true},
		{in: "x/y", bad: true},
		{in: "/x.F", bad: true},
		{in: "F[int", bad: true},
		{in: "F]", bad: true},
		{in: "1abc", bad: true},
		{in: "pkg.", bad: true},
	} {
		got, err := ParseFuncName(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("ParseFuncName(%q) = %+v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseFuncName(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

// FuzzParseFuncName: the parser never panics, and what it accepts prints
// back (String) to a name that parses to the same thing.
func FuzzParseFuncName(f *testing.F) {
	for _, s := range []string{"distance", "pkg.F", "(*T).M", "T.M", "pkg.(*T).M", "golang.org/x/exp/slices.Sort",
		"Sum[int]", "(*List[T]).Push", "a/b.c.d", "((*T)).M", "[", "]", ".", "(*).", "x/.F"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseFuncName(s)
		if err != nil {
			return
		}
		if n.Name == "" {
			t.Fatalf("%q parsed with an empty name: %+v", s, n)
		}
		m, err := ParseFuncName(n.String())
		if err != nil {
			t.Fatalf("%q -> %q does not parse: %v", s, n.String(), err)
		}
		if m != n {
			t.Fatalf("%q -> %+v -> %q -> %+v", s, n, n.String(), m)
		}
	})
}
