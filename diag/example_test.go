package diag_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gospeedup/speedup/diag"
	"github.com/gospeedup/speedup/par"
)

// A Recorder keeps what a computation reported; here, the chunks of a
// par.For run inline (Workers(1)), which come in order.
func ExampleRecorder() {
	rec := diag.NewRecorder()
	err := par.For(context.Background(), 6, func(ctx context.Context, i int) error { return nil },
		par.Workers(1), par.ChunkSize(2), par.Name("step"), par.Observe(rec))
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range rec.Tasks() {
		fmt.Println(t.Name, t.ID, "on worker", t.Worker)
	}
	// Output:
	// step 0 on worker 0
	// step 1 on worker 0
	// step 2 on worker 0
}

// One Recorder feeds both a Chrome trace and an SVG timeline of the same
// run, and a progress bar shows on stderr if the run is long and stderr is
// a terminal.
func ExampleNewTimeline() {
	dir, err := os.MkdirTemp("", "diag")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	rec := diag.NewRecorder()
	obs := diag.Multi(rec, diag.NewProgressBar(os.Stderr))
	sq, err := par.Map(context.Background(), []int{1, 2, 3, 4}, func(ctx context.Context, v int) (int, error) {
		return v * v, nil
	}, par.Workers(2), par.Observe(obs))
	if err != nil {
		log.Fatal(err)
	}
	if err := diag.NewTrace(rec).WriteFile(filepath.Join(dir, "trace.json")); err != nil {
		log.Fatal(err)
	}
	if err := diag.NewTimeline(rec).WriteFile(filepath.Join(dir, "timeline.svg")); err != nil {
		log.Fatal(err)
	}
	fmt.Println(sq)
	// Output: [1 4 9 16]
}
