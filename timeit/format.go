package timeit

import (
	"math"
	"strconv"
	"strings"

	"github.com/gospeedup/speedup/internal/durfmt"
)

// DefaultPrecision is the number of significant digits IPython prints.
const DefaultPrecision = 3

// FormatTime formats a duration given in seconds exactly as IPython's
// _format_time does: below a minute the value is scaled to s, ms, µs or ns
// so that it lies in [1, 1000) and printed with Python's "%.*g" (precision
// significant digits, trailing zeros dropped, so 999.7 ns at 3 digits is
// "1e+03 ns", as in IPython); from a minute on it is written as days, hours,
// minutes and whole seconds ("1min 5s"). A precision below 1 means
// [DefaultPrecision].
//
// The unit symbol is MICRO SIGN (U+00B5), the one IPython prints.
func FormatTime(seconds float64, precision int) string {
	if precision < 1 {
		precision = DefaultPrecision
	}
	if math.IsInf(seconds, 1) {
		return "inf s" // IPython raises here; a word beats a crash
	}
	if seconds >= 60 {
		return formatLong(seconds)
	}
	// IPython computes order = min(-(floor(log10(t)) // 3), 3). durfmt
	// makes the same partition of the line by comparisons, so that no
	// rounding in a Go log10 (which is not C's) can move a value that sits
	// exactly on a power of ten into the wrong unit; 0 and negative values
	// are in ns, as in IPython.
	scale, unit := durfmt.Unit(seconds)
	return formatG(seconds*scale, precision) + " " + unit
}

// formatLong is the branch of IPython's _format_time for a minute or more.
func formatLong(seconds float64) string {
	parts := []struct {
		suffix string
		length float64
	}{{"d", 86400}, {"h", 3600}, {"min", 60}, {"s", 1}}
	var out []string
	leftover := seconds
	for _, p := range parts {
		value := math.Trunc(leftover / p.length)
		if value > 0 {
			leftover = math.Mod(leftover, p.length)
			out = append(out, strconv.FormatFloat(value, 'f', 0, 64)+p.suffix)
		}
		if leftover < 1 {
			break
		}
	}
	return strings.Join(out, " ")
}

// formatG reproduces C's (and so Python's) "%.*g": the value rounded to
// prec significant digits, in fixed notation when the decimal exponent X of
// the rounded value satisfies -4 <= X < prec and in exponent notation
// otherwise, with trailing zeros and a trailing point removed. Go's own 'g'
// verb chooses between the notations differently in some cases, so the
// choice is made here from the rounded exponent, as C specifies.
func formatG(v float64, prec int) string {
	if prec < 1 {
		prec = 1
	}
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(v, 'e', prec-1, 64) // e.g. "9.99e+02", "1.00e+03"
	i := strings.LastIndexByte(e, 'e')
	mant, expStr := e[:i], e[i+1:]
	x, _ := strconv.Atoi(expStr) // FormatFloat always writes a valid exponent
	if x >= -4 && x < prec {
		return trimZeros(strconv.FormatFloat(v, 'f', prec-1-x, 64))
	}
	// Go writes at least two exponent digits with a sign, as C does.
	return trimZeros(mant) + "e" + expStr
}

// trimZeros removes trailing zeros after a decimal point, and the point
// itself if nothing follows it.
func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// thousands writes n with a comma every three digits, like Python's
// "{:,}".
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// plural returns "s" unless n is 1, as IPython's run_plural/loop_plural.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
