package lineprof

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestParseRefuses keeps each kind of hostile or corrupt profile that once
// printed nonsense, ran out of memory or printed 500 MB: each gets one
// line naming the problem.
func TestParseRefuses(t *testing.T) {
	fn := func(body string) string {
		return `{"unit":1e-9,"functions":[{"file":"/x/a.go","function":"f",` + body + `}]}`
	}
	for _, c := range []struct{ name, json, want string }{
		{"negative hits", fn(`"line":1,"end_line":2,"source":["a","b"],"lines":[{"line":2,"hits":-1,"time_ns":5}]`), "line 2: negative hits or time"},
		{"negative time", fn(`"line":1,"end_line":2,"source":["a","b"],"lines":[{"line":2,"hits":1,"time_ns":-5}]`), "line 2: negative hits or time"},
		{"sum overflow", fn(`"line":1,"end_line":2,"source":["a","b"],"lines":[{"line":1,"hits":1,"time_ns":9223372036854775807},{"line":2,"hits":1,"time_ns":1}]`), "total time overflows int64"},
		{"unit overflow", `{"unit":1,"functions":[{"file":"a","function":"f","line":1,"end_line":1,"source":["a"],"lines":[{"line":1,"hits":1,"time_ns":9223372036854775}]}]}`, "time overflows int64"},
		{"NaN-like unit", `{"unit":-1,"functions":[]}`, "not a time unit"},
		{"line outside span", fn(`"line":3,"end_line":4,"source":["a","b"],"lines":[{"line":9,"hits":1,"time_ns":1}]`), "line 9 is outside its lines 3-4"},
		{"line twice", fn(`"line":1,"end_line":2,"source":["a","b"],"lines":[{"line":2,"hits":1,"time_ns":1},{"line":2,"hits":1,"time_ns":1}]`), "line 2 is listed twice"},
		{"huge span", fn(`"line":1,"end_line":100000000,"lines":[]`), "more than 100000 lines"},
		{"span near MaxInt", fn(`"line":2147483640,"end_line":2147483647,"lines":[]`), "malformed function entry #1"},
		{"span against source", fn(`"line":1,"end_line":3,"source":["a"],"lines":[]`), "lines 1-3 do not match its 1 source lines"},
		{"escape in name", `{"unit":1e-9,"functions":[{"file":"a","function":"f\u001b[2J\n","line":1,"end_line":1,"source":["a"],"lines":[{"line":1,"hits":-1,"time_ns":0}]}]}`, `function f\x1b[2J\n: line 1`},
	} {
		_, err := Parse("p.json", []byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "p.json: ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line with %q", c.name, err, c.want)
		}
	}
}

// A 9.6 KB profile of many sourceless functions with the largest span used
// to print 500 MB: sourceless rows are now bounded per profile.
func TestParseSourcelessRowsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"unit":1e-9,"functions":[`)
	for i := range 100 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"file":"/nonexistent/a.go","function":"f","line":1,"end_line":99999,"lines":[]}`)
	}
	b.WriteString(`]}`)
	_, err := Parse("big.json", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "more than 20000 lines of functions without their source") {
		t.Fatalf("%d bytes asking for 10 million rows: %v", b.Len(), err)
	}
}

// A FIFO as the profile must be refused at once, not wait for a writer; a
// device must be refused, not read for ever.
func TestLoadRefusesSpecialFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "p.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() { _, err := Load(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file (a FIFO)") {
			t.Errorf("FIFO profile: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Load of a FIFO hangs")
	}
	if _, err := Load("/dev/zero"); err == nil || !strings.Contains(err.Error(), "not a regular file (a device)") {
		t.Errorf("/dev/zero profile: %v", err)
	}
}

// The source of a function without stored source is read from its file only
// when it is a regular file: /dev/zero used to be read until memory ran out,
// a FIFO to block for ever.
func TestReportSpecialSourceFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "src.go")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	for _, c := range []struct{ file, want string }{
		{"/dev/zero", "/dev/zero: not a regular file (a device)"},
		{fifo, "not a regular file (a FIFO)"},
		{filepath.Join(dir, "missing.go"), "no such file or directory"},
	} {
		p := &Profile{Unit: 1e-9, Funcs: []*Func{{File: c.file, Name: "f", Line: 1, EndLine: 3, Lines: []Line{{2, 1, 5}}}}}
		var b bytes.Buffer
		done := make(chan error, 1)
		go func() { done <- Report(&b, p, ReportOptions{}) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("report with source %s hangs", c.file)
		}
		out := b.String()
		if !strings.Contains(out, "Could not read the source (") || !strings.Contains(out, c.want) || strings.Count(out, "\n") != 13 {
			t.Errorf("source %s: report\n%s", c.file, out)
		}
	}
}

// The bytes read from source files are bounded for the whole report, and
// each file is read once however many functions name it.
func TestReportSourceBudget(t *testing.T) {
	src := &sources{budget: 100, files: map[string]sourceFile{}}
	path := filepath.Join(t.TempDir(), "a.go")
	os.WriteFile(path, []byte(strings.Repeat("line\n", 10)), 0o666)
	for range 3 {
		lines, err := src.lines(path, 2, 3)
		if err != nil || len(lines) != 2 || lines[0] != "line" {
			t.Fatalf("lines: %q, %v", lines, err)
		}
	}
	if src.budget != 50 {
		t.Errorf("budget after reading a 50-byte file three times: %d, want 50", src.budget)
	}
	big := filepath.Join(filepath.Dir(path), "big.go")
	os.WriteFile(big, []byte(strings.Repeat("x", 51)), 0o666)
	if _, err := src.lines(big, 1, 1); err == nil || !strings.Contains(err.Error(), "larger than 50 bytes") {
		t.Errorf("file over the budget: %v", err)
	}
}

// Terminal control sequences and bidirectional overrides in a profile are
// printed escaped, wherever they are.
func TestReportEscapes(t *testing.T) {
	p := &Profile{Unit: 1e-9, Method: []string{"m\x1b]0;title\x07"}, Funcs: []*Func{{
		File: "/x/\x1b[31ma.go", Name: "f\u009b", Line: 1, EndLine: 3,
		Source: []string{"func f() {", "\ts := \"\x1b[2J\u202e\xff\"", "}"},
		Lines:  []Line{{2, 1, 5}},
	}}}
	var b bytes.Buffer
	if err := Report(&b, p, ReportOptions{Summarize: true}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{`m\x1b]0;title\x07`, `File: /x/\x1b[31ma.go`, `Function: f\u009b at line 1`, `s := "\x1b[2J\u202e\xff"`} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %s:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\x07\u009b\u202e") {
		t.Errorf("raw control characters in the report: %q", out)
	}
}

// Tabs expand to the columns a terminal shows: wide characters (CJK,
// emoji) take two, combining marks none.
func TestExpandTabsWidth(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a\tb", "a       b"},
		{"中文\tx", "中文    x"},              // 4 columns, then 4 spaces to column 8
		{"😀\tx", "😀      x"},              // 2 columns, then 6 spaces
		{"e\u0301\tx", "e\u0301       x"}, // e + combining acute: 1 column
		{"ｘ\tx", "ｘ      x"},              // fullwidth x: 2 columns
		{"\x01\tx", `\x01` + "    x"},     // the escape's 4 columns
		{"12345678\tx", "12345678        x"},
	} {
		if got := expandTabs(c.in, 8); got != c.want {
			t.Errorf("expandTabs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Merge refuses to add a function whose source differs between profiles
// (the file was edited between the runs: its line numbers name other
// statements), and sums that overflow.
func TestMergeRefuses(t *testing.T) {
	mk := func(src ...string) *Profile {
		return &Profile{Unit: 1e-9, Funcs: []*Func{{File: "/x/a.go", Name: "f", Line: 1, EndLine: len(src), Source: src, Lines: []Line{{2, 1, 5}}}}}
	}
	a := mk("func f() {", "\tx++", "}")
	b := mk("func f() {", "\ty++", "}")
	_, err := Merge(a, a, b)
	var me *SourceMismatchError
	if !errors.As(err, &me) || me.A != 0 || me.B != 2 {
		t.Fatalf("different source: %v", err)
	}
	if want := "function f (/x/a.go:1) has different source in profile 1 and profile 3 (the file changed between the runs): view them separately"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	me.NameA, me.NameB = "a.json", "b.json"
	if !strings.Contains(me.Error(), "in a.json and b.json") {
		t.Errorf("named message %q", me)
	}
	longer := mk("func f() {", "\tx++", "\tx++", "}")
	if _, err := Merge(a, longer); !errors.As(err, &me) {
		t.Errorf("different span: %v", err)
	}
	// Without stored source, the spans decide; the merged function takes
	// the source that exists.
	bare := mk("func f() {", "\tx++", "}")
	bare.Funcs[0].Source = nil
	m, err := Merge(bare, a)
	if err != nil || len(m.Funcs[0].Source) != 3 || m.Funcs[0].Lines[0].Hits != 2 {
		t.Errorf("sourceless + sourced: %v %+v", err, m)
	}
	huge := mk("func f() {", "\tx++", "}")
	huge.Funcs[0].Lines[0].TimeNS = 1 << 62
	if _, err := Merge(huge, huge); err == nil || !strings.Contains(err.Error(), "overflow int64") {
		t.Errorf("overflowing sum: %v", err)
	}
}
