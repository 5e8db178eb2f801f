package scaling

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseProcs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  string
	}{
		{"1,2,4", []int{1, 2, 4}, ""},
		{"4,1,2", []int{4, 1, 2}, ""},
		{" 1 , 2 ", []int{1, 2}, ""},
		{"1", []int{1}, ""},
		{"4096", []int{4096}, ""},
		{"", nil, "empty list"},
		{"  ", nil, "empty list"},
		{"1,,2", nil, "empty item"},
		{"1,2,", nil, "empty item"},
		{"1,two", nil, `"two" is not an integer`},
		{"1.5", nil, "not an integer"},
		{"0x4", nil, "not an integer"},
		{"99999999999999999999", nil, "not an integer"},
		{"0", nil, "0 is less than 1"},
		{"1,-2", nil, "-2 is less than 1"},
		{"4097", nil, "more than 4096"},
		{"1,2,1", nil, "1 is listed twice"},
		{"2,+2", nil, "2 is listed twice"},
	} {
		got, err := ParseProcs(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseProcs(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseProcs(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestDefaultProcs(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []int
	}{
		{0, []int{1}},
		{1, []int{1}},
		{2, []int{1, 2}},
		{3, []int{1, 2, 3}},
		{4, []int{1, 2, 4}},
		{6, []int{1, 2, 4, 6}},
		{8, []int{1, 2, 4, 8}},
		{12, []int{1, 2, 4, 8, 12}},
	} {
		if got := DefaultProcs(tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("DefaultProcs(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

// FuzzParseProcs checks ParseProcs' contract on any input: either an error,
// or a non-empty list of distinct counts in [1, MaxProcs] that, printed back,
// parse to the same list.
func FuzzParseProcs(f *testing.F) {
	for _, s := range []string{"1,2,4", "1", "", ",", "1,,2", " 8 , 1 ", "0", "-1", "1,1", "4097", "1.5", "99999999999999999999", "+3", "1,2,3,4,5,6,7,8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		procs, err := ParseProcs(s)
		if err != nil {
			if procs != nil {
				t.Errorf("ParseProcs(%q) returned %v with error %v", s, procs, err)
			}
			return
		}
		if len(procs) == 0 {
			t.Fatalf("ParseProcs(%q) returned an empty list without error", s)
		}
		seen := map[int]bool{}
		for _, p := range procs {
			if p < 1 || p > MaxProcs || seen[p] {
				t.Fatalf("ParseProcs(%q) = %v: count %d out of range or repeated", s, procs, p)
			}
			seen[p] = true
		}
		var parts []string
		for _, p := range procs {
			parts = append(parts, strconv.Itoa(p))
		}
		again, err := ParseProcs(strings.Join(parts, ","))
		if err != nil || !slices.Equal(again, procs) {
			t.Fatalf("round trip of %v: %v, %v", procs, again, err)
		}
	})
}
