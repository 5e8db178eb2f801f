package durfmt

import (
	"math"
	"testing"
	"time"
)

func TestShort(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0 ns"},
		{-5, "-5 ns"},
		{999, "999 ns"},
		{time.Microsecond, "1 µs"},
		{1234 * time.Nanosecond, "1.23 µs"},
		{45_600 * time.Microsecond, "45.6 ms"},
		{999_999 * time.Microsecond, "1e+03 ms"}, // %.3g rounds up, as before
		{time.Second, "1 s"},
		{1500 * time.Millisecond, "1.5 s"},
		{2 * time.Hour, "7.2e+03 s"},
	} {
		if got := Short(tc.d); got != tc.want {
			t.Errorf("Short(%d) = %q, want %q", int64(tc.d), got, tc.want)
		}
	}
}

func TestUnit(t *testing.T) {
	for _, tc := range []struct {
		t      float64
		scale  float64
		symbol string
	}{
		{2, 1, "s"}, {1, 1, "s"}, {0.999, 1e3, "ms"}, {1e-3, 1e3, "ms"},
		{1e-6, 1e6, "µs"}, {9.99e-7, 1e9, "ns"}, {0, 1e9, "ns"}, {-1, 1e9, "ns"}, {math.NaN(), 1e9, "ns"},
	} {
		scale, symbol := Unit(tc.t)
		if scale != tc.scale || symbol != tc.symbol {
			t.Errorf("Unit(%v) = %v %q, want %v %q", tc.t, scale, symbol, tc.scale, tc.symbol)
		}
	}
	// UnitOf agrees with Unit on every boundary.
	for _, d := range []time.Duration{0, 999, 1000, 999_999, 1_000_000, 999_999_999, time.Second, time.Hour} {
		u, sym := UnitOf(d)
		scale, symbol := Unit(d.Seconds())
		if sym != symbol || float64(time.Second)/float64(u) != scale {
			t.Errorf("UnitOf(%d) = %v %q, Unit = %v %q", int64(d), u, sym, scale, symbol)
		}
	}
}
