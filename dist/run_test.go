package dist

import (
	"bytes"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
)

func TestUserCounters(t *testing.T) {
	key := func(ns, name string) metrics.StepKey { return metrics.StepKey{Step: "s", Namespace: ns, Name: name} }
	for _, tc := range []struct {
		name string
		in   []metrics.CounterResult
		want map[string]int64
	}{
		{"none", nil, map[string]int64{}},
		{"committed wins", []metrics.CounterResult{{Attempted: 5, Committed: 3, Key: key(userNamespace, "a")}}, map[string]int64{"a": 3}},
		{"attempted when none committed", []metrics.CounterResult{{Attempted: 5, Key: key(userNamespace, "a")}}, map[string]int64{"a": 5}},
		{"summed over steps", []metrics.CounterResult{
			{Committed: 2, Key: key(userNamespace, "a")},
			{Attempted: 4, Key: key(userNamespace, "a")},
			{Committed: 1, Key: key(userNamespace, "b")},
		}, map[string]int64{"a": 6, "b": 1}},
		{"other namespaces ignored", []metrics.CounterResult{{Committed: 9, Key: key("beam", "a")}}, map[string]int64{}},
	} {
		if got := userCounters(tc.in); !maps.Equal(got, tc.want) {
			t.Errorf("%s: userCounters = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestWriteReport(t *testing.T) {
	for _, tc := range []struct {
		counters map[string]int64
		want     string
	}{
		{nil, "dist: sq on prism: 10 items in 3 chunks, 2 shards, 1.25 s\n"},
		{map[string]int64{"zeta": 1, "alpha": 22}, "dist: sq on prism: 10 items in 3 chunks, 2 shards, 1.25 s\ncounter alpha: 22\ncounter zeta: 1\n"},
	} {
		var b bytes.Buffer
		writeReport(&b, "sq", "prism", 10, 3, 2, 1250*time.Millisecond, tc.counters)
		if b.String() != tc.want {
			t.Errorf("writeReport(%v) =\n%q\nwant\n%q", tc.counters, b.String(), tc.want)
		}
	}
}

func TestResultFiles(t *testing.T) {
	for _, tc := range []struct {
		k      kind
		chunks int
		want   []string
	}{
		{kindMap, 0, []string{}},
		{kindMap, 2, []string{partName("d", 0), partName("d", 1)}},
		{kindReduce, 3, []string{join("d", "result")}},
		{kindPerKey, 3, []string{join("d", "result")}},
	} {
		if got := resultFiles(tc.k, "d", tc.chunks); !slices.Equal(got, tc.want) {
			t.Errorf("resultFiles(%d, %d) = %q, want %q", tc.k, tc.chunks, got, tc.want)
		}
	}
}

func TestNewJobID(t *testing.T) {
	a, b := newJobID(), newJobID()
	if len(a) != 16 || len(b) != 16 || a == b {
		t.Errorf("newJobID: %q, %q: want two different 16-digit ids", a, b)
	}
}
