package timeit

import (
	"errors"
	"fmt"
	"go/token"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Param is one parameter of a size sweep (speedup timeit --param): the
// measurement is repeated with Name bound to each of Values in turn.
// Values are int, float64 or string.
type Param struct {
	Name   string
	Values []any
}

// ParseParam parses NAME=V1,V2,... as given to --param. NAME must be a Go
// identifier other than "_" (it becomes a variable of the snippet). Each
// value is:
//   - a number written as Go accepts it (10000, 1e4, 1_000, 0x10, 0.5):
//     an int when it is integral and fits in an int (1e4 is the int 10000,
//     which is what a size wants), a float64 otherwise;
//   - a string in single quotes ('a,b', taken literally) or double quotes
//     (a Go string literal, escapes allowed), the only way to get a string
//     and to put a comma in a value.
//
// Spaces around values are ignored. Errors are one line, naming the input.
func ParseParam(s string) (Param, error) {
	fail := func(format string, args ...any) (Param, error) {
		return Param{}, fmt.Errorf("--param %s: %s", quoteIfOdd(s), fmt.Sprintf(format, args...))
	}
	name, list, ok := strings.Cut(s, "=")
	if !ok {
		return fail("want NAME=V1,V2,... (for example n=1e4,1e5,1e6)")
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return fail("missing parameter name before '='")
	case name == "_" || !token.IsIdentifier(name):
		return fail("parameter name %s is not a Go identifier", quoteIfOdd(name))
	}
	if strings.TrimSpace(list) == "" {
		return fail("no values")
	}
	p := Param{Name: name}
	rest := list
	for i := 1; ; i++ {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		var v any
		var err error
		if rest != "" && (rest[0] == '\'' || rest[0] == '"') {
			v, rest, err = scanQuoted(rest)
			if err != nil {
				return fail("value %d: %v", i, err)
			}
			rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		} else {
			raw, after, more := strings.Cut(rest, ",")
			raw = strings.TrimSpace(raw)
			if raw == "" {
				return fail("value %d is empty", i)
			}
			if v, err = parseNumber(raw); err != nil {
				return fail("value %d: %v", i, err)
			}
			rest = ""
			if more {
				rest = "," + after
			}
		}
		p.Values = append(p.Values, v)
		if rest == "" {
			return p, nil
		}
		if rest[0] != ',' {
			return fail("value %d: unexpected %s after the closing quote; separate values with commas", i, quoteIfOdd(firstRune(rest)))
		}
		rest = rest[1:]
	}
}

// scanQuoted reads a quoted value at the start of s and returns it with
// the rest of s.
func scanQuoted(s string) (string, string, error) {
	q := s[0]
	if q == '\'' {
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", "", errors.New("unterminated quote '")
		}
		return s[1 : 1+end], s[2+end:], nil
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // skip the escaped byte, which may be a quote
		case '"':
			v, err := strconv.Unquote(s[:i+1])
			if err != nil {
				return "", "", fmt.Errorf("bad string %s: invalid escape or character", quoteIfOdd(s[:i+1]))
			}
			return v, s[i+1:], nil
		}
	}
	return "", "", errors.New(`unterminated quote "`)
}

// parseNumber turns an unquoted value into an int or a float64.
func parseNumber(raw string) (any, error) {
	if n, err := strconv.ParseInt(raw, 0, 0); err == nil {
		return int(n), nil
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return nil, fmt.Errorf("%s is out of range", quoteIfOdd(raw))
		}
		if _, ierr := strconv.ParseInt(raw, 0, 0); ierr != nil && errors.As(ierr, &ne) && ne.Err == strconv.ErrRange {
			return nil, fmt.Errorf("%s is out of range", quoteIfOdd(raw))
		}
		if utf8.RuneCountInString(raw) > excerptRunes {
			return nil, fmt.Errorf("%s is not a number; quote strings", quoteIfOdd(raw))
		}
		hint := "'" + raw + "'"
		if strings.Contains(raw, "'") || hint != quoteIfOdd(hint) {
			hint = strconv.Quote(raw)
		}
		return nil, fmt.Errorf("%s is not a number; quote strings (%s)", quoteIfOdd(raw), hint)
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("%s is not a finite number", quoteIfOdd(raw))
	}
	// Integral values within int's range are ints: 1e4 means the size
	// 10000. MinInt <= f < -MinInt is exactly the range of floats that
	// convert to int without overflow (-MinInt is a power of two, exact
	// in a float64, unlike MaxInt).
	if f == math.Trunc(f) && f >= math.MinInt && f < -float64(math.MinInt) {
		return int(f), nil
	}
	return f, nil
}

// String writes p back in the syntax ParseParam reads; parsing it gives p
// again for any Param that ParseParam returned.
func (p Param) String() string {
	parts := make([]string, len(p.Values))
	for i, v := range p.Values {
		parts[i] = formatValue(v)
	}
	return p.Name + "=" + strings.Join(parts, ",")
}

// Format returns the label of one value, NAME=VALUE, which prefixes the
// result line of that value in a sweep ("n=10000: 1.2 ms ± ..."). Strings
// are double-quoted Go literals, so the label parses back to the value.
func (p Param) Format(v any) string {
	return p.Name + "=" + formatValue(v)
}

func formatValue(v any) string {
	switch v := v.(type) {
	case int:
		return strconv.Itoa(v)
	case float64:
		// The shortest form that parses back to the same float64.
		return strconv.FormatFloat(v, 'g', -1, 64)
	case string:
		return strconv.Quote(v)
	default:
		return fmt.Sprint(v)
	}
}

// excerptRunes is the most of the user's input an error message quotes:
// a --param of 100 KB must not come back whole on the terminal.
const excerptRunes = 40

// quoteIfOdd returns s as is when it prints cleanly on one line and as a Go
// string literal otherwise, so that error messages stay on one line. Input
// longer than excerptRunes is cut, and "…" follows the excerpt.
func quoteIfOdd(s string) string {
	more := ""
	if utf8.RuneCountInString(s) > excerptRunes {
		n := 0
		for i := range s {
			if n == excerptRunes {
				s = s[:i]
				break
			}
			n++
		}
		more = "…"
	}
	if s == "" || !utf8.ValidString(s) {
		return strconv.Quote(s) + more
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s) + more
		}
	}
	return s + more
}

func firstRune(s string) string {
	_, n := utf8.DecodeRuneInString(s)
	return s[:n]
}
