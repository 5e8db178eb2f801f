package edit

import "testing"

func TestBuffer(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		edits func(b *Buffer)
		want  string
	}{
		{"none", "abc", func(b *Buffer) {}, "abc"},
		{"insert", "abc", func(b *Buffer) { b.Insert(1, "X") }, "aXbc"},
		{"same offset keeps order", "abc", func(b *Buffer) { b.Insert(1, "X"); b.Insert(1, "Y") }, "aXYbc"},
		{"out of order", "abc", func(b *Buffer) { b.Insert(3, "!"); b.Insert(0, "<") }, "<abc!"},
		{"replace", "os.Exit(1)", func(b *Buffer) { b.Replace(0, 7, "exit") }, "exit(1)"},
		{"insert before replace", "ab", func(b *Buffer) { b.Insert(0, "1"); b.Replace(0, 1, "A") }, "1Ab"},
	}
	for _, tt := range tests {
		b := New([]byte(tt.src))
		tt.edits(b)
		if got := b.String(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
