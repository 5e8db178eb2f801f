package timeit

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestParseParam(t *testing.T) {
	tests := []struct {
		in   string
		want Param
	}{
		{"n=1e4,1e5,1e6", Param{"n", []any{10000, 100000, 1000000}}},
		{"n=10000", Param{"n", []any{10000}}},
		{"size=1_000,0x10,-3", Param{"size", []any{1000, 16, -3}}},
		{"x=0.5,2.5e-3,1.0", Param{"x", []any{0.5, 0.0025, 1}}},
		{"big=1e30", Param{"big", []any{1e30}}},
		{"s='a,b',\"c\\\"d\",'x'", Param{"s", []any{"a,b", `c"d`, "x"}}},
		{"mixed=1, 'two' , 3.5", Param{"mixed", []any{1, "two", 3.5}}},
		{" n = 1 , 2 ", Param{"n", []any{1, 2}}},
		{"s=''", Param{"s", []any{""}}},
		{`s="tab\there"`, Param{"s", []any{"tab\there"}}},
		{"ñ=1", Param{"ñ", []any{1}}},
		{"n=-0.0", Param{"n", []any{0}}},
	}
	for _, tt := range tests {
		got, err := ParseParam(tt.in)
		if err != nil {
			t.Errorf("ParseParam(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseParam(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseParamErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"n=", "--param n=: no values"},
		{"n=  ", "--param n=  : no values"},
		{"n", "--param n: want NAME=V1,V2,... (for example n=1e4,1e5,1e6)"},
		{"=1,2", "--param =1,2: missing parameter name before '='"},
		{"1n=1", "--param 1n=1: parameter name 1n is not a Go identifier"},
		{"func=1", "--param func=1: parameter name func is not a Go identifier"},
		{"_=1", "--param _=1: parameter name _ is not a Go identifier"},
		{"a-b=1", "--param a-b=1: parameter name a-b is not a Go identifier"},
		{"n=1,,2", "--param n=1,,2: value 2 is empty"},
		{"n=1,", "--param n=1,: value 2 is empty"},
		{"n=,1", "--param n=,1: value 1 is empty"},
		{"n=abc", "--param n=abc: value 1: abc is not a number; quote strings ('abc')"},
		{"n=1,'abc", "--param n=1,'abc: value 2: unterminated quote '"},
		{`n="abc`, `--param n="abc: value 1: unterminated quote "`},
		{`n="a\qb"`, `--param n="a\qb": value 1: bad string "a\qb": invalid escape or character`},
		{"n='a'b", "--param n='a'b: value 1: unexpected b after the closing quote; separate values with commas"},
		{"n=1e400", "--param n=1e400: value 1: 1e400 is out of range"},
		{"n=0xffffffffffffffffff", "--param n=0xffffffffffffffffff: value 1: 0xffffffffffffffffff is out of range"},
		{"n=NaN", "--param n=NaN: value 1: NaN is not a finite number"},
		{"n=inf", "--param n=inf: value 1: inf is not a finite number"},
		{"n=it's", `--param n=it's: value 1: it's is not a number; quote strings ("it's")`},
		{"n=1\n2", `--param "n=1\n2": value 1: "1\n2" is not a number; quote strings ("1\n2")`},
		{"s='it''s'", "--param s='it''s': value 1: unexpected ' after the closing quote; separate values with commas"},
		// Long input is quoted as an excerpt: a 109 KB --param used to
		// come back whole.
		{"n=" + strings.Repeat("x", 100), "--param n=" + strings.Repeat("x", 38) + "…: value 1: " + strings.Repeat("x", 40) + "… is not a number; quote strings"},
		{"n=1\n" + strings.Repeat("é", 50), `--param "n=1\n` + strings.Repeat("é", 36) + `"…: value 1: "1\n` + strings.Repeat("é", 38) + `"… is not a number; quote strings`},
	}
	for _, tt := range tests {
		_, err := ParseParam(tt.in)
		if err == nil {
			t.Errorf("ParseParam(%q) succeeded, want %q", tt.in, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("ParseParam(%q):\n got %s\nwant %s", tt.in, err, tt.want)
		}
	}
}

func TestParamFormat(t *testing.T) {
	p := Param{Name: "n", Values: []any{10000, 0.5, "a b", 1e21}}
	for i, want := range []string{"n=10000", "n=0.5", `n="a b"`, "n=1e+21"} {
		if got := p.Format(p.Values[i]); got != want {
			t.Errorf("Format(%v) = %q, want %q", p.Values[i], got, want)
		}
	}
	if got, want := p.String(), `n=10000,0.5,"a b",1e+21`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// checkRoundTrip is the property the fuzz target checks: a parsed Param
// prints back (String, Format) to text that parses to the same values.
func checkRoundTrip(t *testing.T, in string, p Param) {
	t.Helper()
	if len(p.Values) == 0 || p.Name == "" {
		t.Fatalf("ParseParam(%q) returned %#v without an error", in, p)
	}
	again, err := ParseParam(p.String())
	if err != nil {
		t.Fatalf("ParseParam(%q) = %#v, whose String %q does not parse: %v", in, p, p.String(), err)
	}
	if !reflect.DeepEqual(again, p) {
		t.Fatalf("round trip of %q: %#v -> %q -> %#v", in, p, p.String(), again)
	}
	for _, v := range p.Values {
		switch v := v.(type) {
		case int, string:
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) || v == math.Trunc(v) && math.Abs(v) < 1<<62 {
				t.Fatalf("ParseParam(%q) gave float64 %v, which should be an int or an error", in, v)
			}
		default:
			t.Fatalf("ParseParam(%q) gave a %T", in, v)
		}
		one, err := ParseParam(p.Format(v))
		if err != nil || len(one.Values) != 1 || !reflect.DeepEqual(one.Values[0], v) {
			t.Fatalf("label %q of %#v parses to %#v, %v", p.Format(v), v, one, err)
		}
	}
}

func FuzzParseParam(f *testing.F) {
	for _, s := range []string{
		"n=1e4,1e5,1e6", "n=", "x=0.5,1.5", `s='a,b',"c\"d"`, "n=0x10,1_000,-3", "n='", `n="\u00e9"`,
		"n=1e400", "ñ=1", "=", "n=,", " n = 1 , 'x' ", "n=1.7976931348623157e308", "n=4e-324",
		"n=9223372036854775807,9223372036854775808,-9223372036854775808", `s="\xff"`, "s='\xff'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseParam(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error for %q is not one line: %q", s, err)
			}
			return
		}
		checkRoundTrip(t, s, p)
	})
}
