package diag

import (
	"fmt"
	"testing"
	"time"
)

func TestLegendEntries(t *testing.T) {
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tasks := []Task{
		{Name: "inc#1", Start: at(0), End: at(2)},
		{Name: "add", Start: at(0), End: at(5)},
		{Name: "inc#2", Start: at(2), End: at(5)},
		{Name: "sq", Start: at(5), End: at(10)},
	}
	entries, names := legendEntries(tasks)
	var got []string
	for _, e := range entries {
		got = append(got, fmt.Sprintf("%s %d %v", e.name, e.n, e.total))
	}
	// All three total 5ms: by name.
	want := []string{"add 1 5ms", "inc 2 5ms", "sq 1 5ms"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("entries = %q, want %q", got, want)
	}
	if fmt.Sprint(names) != "[inc add sq]" {
		t.Errorf("names = %q, want first appearances [inc add sq]", names)
	}
}

func TestPlaceLegend(t *testing.T) {
	entries := []*legendEntry{{name: "a", n: 1, total: time.Second}, {name: "b", n: 2, total: time.Second}, {name: "c", n: 3, total: time.Second}}
	color := map[string]string{"a": "#1", "b": "#2", "c": "#3"}
	// Each label, "a ×1, 1 s", is 9 runes: 36 + 63 = 99 px wide.
	w := 18 + textWidth("a ×1, 1 s") + 18
	for _, tc := range []struct {
		width int
		want  []legendItem
		last  float64
	}{
		{960, []legendItem{{tlLeft, 100, "a ×1, 1 s", "#1"}, {tlLeft + w, 100, "b ×2, 1 s", "#2"}, {tlLeft + 2*w, 100, "c ×3, 1 s", "#3"}}, 100},
		// Room for two per row.
		{int(tlLeft + 2*w + tlRight), []legendItem{{tlLeft, 100, "a ×1, 1 s", "#1"}, {tlLeft + w, 100, "b ×2, 1 s", "#2"}, {tlLeft, 100 + tlLegendRow, "c ×3, 1 s", "#3"}}, 100 + tlLegendRow},
		// Too narrow for one: each still gets its own row, never an empty one.
		{10, []legendItem{{tlLeft, 100, "a ×1, 1 s", "#1"}, {tlLeft, 120, "b ×2, 1 s", "#2"}, {tlLeft, 140, "c ×3, 1 s", "#3"}}, 140},
	} {
		got, last := placeLegend(entries, color, tc.width, 100)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) || last != tc.last {
			t.Errorf("width %d: placeLegend = %v, %v; want %v, %v", tc.width, got, last, tc.want, tc.last)
		}
	}
}
