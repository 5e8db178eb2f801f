package lprun

import (
	"bytes"
	"testing"
)

func TestDisableLineDirectives(t *testing.T) {
	for _, c := range []struct {
		src, want string
		had       bool
	}{
		{"//line a.y:1\npackage p\n", "//LINE a.y:1\npackage p\n", true},
		{"package p\n\n//line a.y:3\nfunc F() {}\n", "package p\n\n//LINE a.y:3\nfunc F() {}\n", true},
		{"package p\nfunc F() { /*line a.y:4*/ x() }\n", "package p\nfunc F() { /*LINE a.y:4*/ x() }\n", true},
		// Not at the start of a line: not a directive.
		{"package p\nvar x = 1 //line a.y:3\n", "package p\nvar x = 1 //line a.y:3\n", false},
		// In a string: not a comment.
		{"package p\nvar s = \"//line a.y:3\"\nvar r = `\n//line b:1\n`\n", "package p\nvar s = \"//line a.y:3\"\nvar r = `\n//line b:1\n`\n", false},
		{"package p // no directive\n", "package p // no directive\n", false},
	} {
		got, had := disableLineDirectives([]byte(c.src))
		if string(got) != c.want || had != c.had {
			t.Errorf("disableLineDirectives(%q) = %q, %v; want %q, %v", c.src, got, had, c.want, c.had)
		}
	}
}

// FuzzDisableLineDirectives: any input keeps its length and its lines, and
// a second pass changes nothing.
func FuzzDisableLineDirectives(f *testing.F) {
	f.Add([]byte("//line a.y:1\npackage p\n/*line b:2*/"))
	f.Add([]byte("package p\nvar s = \"//line x:1\"\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		out, _ := disableLineDirectives(src)
		if len(out) != len(src) || bytes.Count(out, []byte("\n")) != bytes.Count(src, []byte("\n")) {
			t.Fatalf("length or lines changed: %q -> %q", src, out)
		}
		again, had := disableLineDirectives(out)
		if had || !bytes.Equal(again, out) {
			t.Fatalf("second pass changed %q", out)
		}
	})
}
