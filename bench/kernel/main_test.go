package main

import (
	"strings"
	"testing"
)

func TestFigureInvalid(t *testing.T) {
	for _, tc := range []struct {
		f    figure
		want string
	}{
		{figure{mean: 9000, min: 8500}, ""},
		{figure{mean: 9000, min: 9000}, ""},
		{figure{mean: 9000, min: 9500}, "minimum above the mean"},
		{figure{mean: 0, min: 0}, "missing or zero"},
		{figure{mean: 9000, min: 0}, "missing or zero"},
		{figure{mean: 500, min: 400}, "deleted work"},
	} {
		if got := tc.f.invalid(); (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%+v.invalid() = %q, want %q", tc.f, got, tc.want)
		}
	}
}
