// Package durfmt is speedup's one way of choosing a time unit and writing a
// duration with it: the unit is the largest of s, ms, µs and ns not above
// the value, as IPython's _format_time chooses it, so that a duration reads
// the same in timeit's lines, lprun's header, the timelines and the plots.
//
// The unit symbol for microseconds is MICRO SIGN (U+00B5), the one IPython
// prints.
package durfmt

import (
	"fmt"
	"time"
)

// units are the units, largest first, with the smallest value in seconds
// that each is used for and the factor from seconds to it.
var units = []struct {
	d      time.Duration
	min    float64 // seconds
	scale  float64
	symbol string
}{
	{time.Second, 1, 1, "s"},
	{time.Millisecond, 1e-3, 1e3, "ms"},
	{time.Microsecond, 1e-6, 1e6, "\u00b5s"},
	{time.Nanosecond, 0, 1e9, "ns"},
}

// Unit returns the unit for a time of t seconds: the factor from seconds
// to it (1, 1e3, 1e6 or 1e9) and its symbol. Zero, negative and NaN times
// are in ns, as in IPython.
func Unit(t float64) (scale float64, symbol string) {
	for _, u := range units[:len(units)-1] {
		if t >= u.min {
			return u.scale, u.symbol
		}
	}
	u := units[len(units)-1]
	return u.scale, u.symbol
}

// UnitOf returns the unit for d: its length and its symbol.
func UnitOf(d time.Duration) (time.Duration, string) {
	for _, u := range units {
		if d >= u.d {
			return u.d, u.symbol
		}
	}
	u := units[len(units)-1]
	return u.d, u.symbol
}

// Short writes d with three significant digits in its unit: "1.23 s",
// "45.6 ms", "850 ns" (whole nanoseconds below a microsecond).
func Short(d time.Duration) string {
	unit, symbol := UnitOf(d)
	if unit == time.Nanosecond {
		return fmt.Sprintf("%d ns", d)
	}
	return fmt.Sprintf("%.3g %s", float64(d)/float64(unit), symbol)
}
