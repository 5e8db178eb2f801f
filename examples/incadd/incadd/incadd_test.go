package incadd

import (
	"context"
	"testing"
	"time"

	"github.com/gospeedup/speedup/diag"
	"github.com/gospeedup/speedup/lazy"
)

func TestSerialAndGraphAgree(t *testing.T) {
	if v := Serial(time.Millisecond); v != 5 {
		t.Errorf("Serial = %d, want 5", v)
	}
	v, err := lazy.Compute(context.Background(), Graph(time.Millisecond))
	if err != nil || v != 5 {
		t.Errorf("Compute = %d, %v; want 5", v, err)
	}
}

// The two incs run at the same time on two workers, and add starts after
// both: checked on the recorded order of events, not on durations, so the
// test holds on a loaded machine.
func TestIncsOverlap(t *testing.T) {
	rec := diag.NewRecorder()
	d := 20 * time.Millisecond
	if _, err := lazy.Compute(context.Background(), Graph(d), lazy.Workers(2), lazy.Observe(rec)); err != nil {
		t.Fatal(err)
	}
	tasks := rec.Tasks()
	if len(tasks) != 3 {
		t.Fatalf("%d tasks, want 3", len(tasks))
	}
	var incs []diag.Task
	var add diag.Task
	for _, task := range tasks {
		switch task.Name {
		case "inc":
			incs = append(incs, task)
		case "add":
			add = task
		default:
			t.Errorf("unexpected task %q", task.Name)
		}
	}
	if len(incs) != 2 || add.Name == "" {
		t.Fatalf("tasks %+v", tasks)
	}
	a, b := incs[0], incs[1]
	if a.Worker == b.Worker || !a.Start.Before(b.End) || !b.Start.Before(a.End) {
		t.Errorf("incs did not run at once: %+v %+v", a, b)
	}
	if add.Start.Before(a.End) || add.Start.Before(b.End) {
		t.Errorf("add started before its inputs ended")
	}
}
