package lineprof

import (
	"io"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the reader of saved profiles (what
// "speedup view" opens): it must return an error or a profile that merges
// and reports without panicking.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"unit":1e-9,"functions":[{"file":"/x/a.go","function":"f","line":3,"end_line":5,"source":["func f() {","\tx++","}"],"lines":[{"line":4,"hits":2,"time_ns":10}]}]}`))
	f.Add([]byte(`{"unit":1e-6,"functions":[{"file":"/x/a.go","function":"f","line":1,"end_line":1,"lines":[{"line":9,"hits":-1,"time_ns":-5}]}]}`))
	f.Add([]byte(`{"unit":1e-9,"functions":[null]}`))
	f.Add([]byte(`{"unit":0}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"unit":1e-9,"functions":[{"file":"a","function":"f","line":2,"end_line":3,"source":["only one"],"lines":[{"line":1,"hits":1,"time_ns":1}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.json", data)
		if err != nil {
			return
		}
		m := Merge(p, p)
		for _, o := range []ReportOptions{{}, {Unit: 1e-6, SkipZero: true, Summarize: true}} {
			if err := Report(io.Discard, m, o); err != nil {
				return
			}
		}
	})
}
