package lineprof

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the whole path of "speedup view": the
// reader of saved profiles, Merge (alone, which must always work, with
// itself and with a second profile), and the report in every option.
// Whatever the bytes, it must return an error or a profile that merges and
// reports without panicking, in output proportional to the input and with
// no control character reaching the terminal.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"unit":1e-9,"functions":[{"file":"/x/a.go","function":"f","line":3,"end_line":5,"source":["func f() {","\tx++","}"],"lines":[{"line":4,"hits":2,"time_ns":10}]}]}`))
	f.Add([]byte(`{"unit":1e-6,"functions":[{"file":"/x/a.go","function":"f","line":1,"end_line":1,"lines":[{"line":9,"hits":-1,"time_ns":-5}]}]}`))
	f.Add([]byte(`{"unit":1e-9,"functions":[null]}`))
	f.Add([]byte(`{"unit":0}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"unit":1e-9,"functions":[{"file":"a","function":"f","line":2,"end_line":3,"source":["only one"],"lines":[{"line":1,"hits":1,"time_ns":1}]}]}`))
	f.Add([]byte(`{"unit":1e-9,"functions":[{"file":"/dev/zero","function":"f","line":1,"end_line":3,"lines":[{"line":2,"hits":1,"time_ns":1}]}]}`))
	f.Add([]byte(`{"unit":1e-9,"functions":[{"file":"a","function":"f\u001b[2J","line":1,"end_line":2,"source":["\u001b]0;pwned\u0007","\t中文\t😀\tx \u202e"],"lines":[{"line":2,"hits":9223372036854775807,"time_ns":9223372036854775807}]}]}`))
	f.Add([]byte(`{"unit":1e-9,"functions":[{"file":"a","function":"f","line":2147483640,"end_line":2147483647,"lines":[]}]}`))
	f.Add([]byte(`{"unit":1e3,"functions":[{"file":"a","function":"f","line":1,"end_line":1,"source":["x"],"lines":[{"line":1,"hits":1,"time_ns":9223372036854775}]}]}`))
	second, err := Parse("second.json", []byte(`{"unit":1e-9,"functions":[{"file":"/x/a.go","function":"f","line":3,"end_line":5,"source":["func f() {","\tx++","}"],"lines":[{"line":4,"hits":2,"time_ns":10}]}]}`))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.json", data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error of more than one line: %q", err)
			}
			return
		}
		if _, err := Merge(p); err != nil {
			t.Fatalf("Merge of one parsed profile: %v", err)
		}
		for _, ps := range [][]*Profile{{p}, {p, p}, {p, second}} {
			m, err := Merge(ps...)
			if err != nil {
				// Sums of two profiles may overflow, sources may differ.
				if len(ps) == 1 || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error of more than one line: %q", err)
				}
				continue
			}
			for _, o := range []ReportOptions{{}, {Unit: 1e-6, SkipZero: true, Summarize: true}, {TabWidth: 3}} {
				var b bytes.Buffer
				if err := Report(&b, m, o); err != nil {
					t.Fatal(err)
				}
				// Every row is backed by input bytes, except the rows of
				// functions without source (bounded per profile); tabs
				// expand to at most TabWidth columns, escapes to 6 bytes
				// per input byte.
				if limit := 2*(400+64*len(data)) + 2*maxSourcelessLines*60 + 1000; b.Len() > limit {
					t.Fatalf("%d bytes of input printed %d bytes (limit %d)", len(data), b.Len(), limit)
				}
				for _, c := range b.String() {
					if c < 0x20 && c != '\n' || c == 0x7f || c >= 0x80 && c < 0xa0 {
						t.Fatalf("control character %U in the report:\n%q", c, b.String())
					}
				}
			}
		}
	})
}
