package docexample

import (
	"reflect"
	"testing"
)

func TestExamples(t *testing.T) {
	doc := "text\n$ outside a block\n```\n$ cmd one\nout 1\n\n$ cmd two\n% other prompt\n```\n```\n% dist cmd\nx\n```\n"
	got := Examples("d.md", []byte(doc), "$ ")
	want := []Example{
		{File: "d.md", Line: 4, Cmd: "cmd one", Want: []string{"out 1"}},
		{File: "d.md", Line: 7, Cmd: "cmd two", Want: []string{"% other prompt"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Examples($) = %+v, want %+v", got, want)
	}
	got = Examples("d.md", []byte(doc), "% ")
	want = []Example{
		{File: "d.md", Line: 8, Cmd: "other prompt"},
		{File: "d.md", Line: 11, Cmd: "dist cmd", Want: []string{"x"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Examples(%%) = %+v, want %+v", got, want)
	}
}
