// Command overhead measures the time speedup timeit spends outside the
// measurement itself (building the snippet, starting its program,
// reporting), which issue 3 bounds at 0.7 s with a warm build cache.
//
// Run it from the repository root:
//
//	go run ./bench/overhead
//
// It builds the speedup binary, warms the build cache with one run, then
// runs "speedup timeit --json -n N -r R -C ./examples/distance 'distance()'"
// several times. A fixed -n avoids autorange, whose calibration runs are
// measurement too; the measured time is then the sum of the runs' elapsed
// times from the JSON document, and the overhead is the wall time minus it.
// Two cases: the same statement each time (the go command links but
// compiles nothing) and a statement changed each time (the generated test
// file is compiled anew, as when a user edits the snippet).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

const target = 700 * time.Millisecond

func main() {
	reps := flag.Int("reps", 5, "measured invocations per case")
	flag.Parse()
	if _, err := os.Stat("examples/distance"); err != nil {
		fail(fmt.Errorf("run from the repository root: %v", err))
	}
	tmp, err := os.MkdirTemp("", "speedup-overhead-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "speedup")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/speedup").CombinedOutput(); err != nil {
		fail(fmt.Errorf("building speedup: %v\n%s", err, out))
	}

	fmt.Printf("speedup timeit overhead (wall time minus measured time), %d invocations per case, target %v\n\n", *reps, target)
	fmt.Printf("%-28s %10s %10s %10s %10s\n", "case", "wall", "measured", "go build", "overhead")
	worst := time.Duration(0)
	for _, c := range []struct {
		name    string
		changed bool
	}{{"same statement", false}, {"statement changed each time", true}} {
		// Warm-up: fills the build cache for the dependencies.
		if _, err := invoke(bin, 0); err != nil {
			fail(err)
		}
		var overheads []time.Duration
		for i := 0; i < *reps; i++ {
			k := 0
			if c.changed {
				k = int(time.Now().UnixNano()%1000000) + 1
			}
			m, err := invoke(bin, k)
			if err != nil {
				fail(err)
			}
			o := m.wall - m.measured
			overheads = append(overheads, o)
			fmt.Printf("%-28s %10s %10s %10s %10s\n", c.name, ms(m.wall), ms(m.measured), ms(m.build), ms(o))
		}
		slices.Sort(overheads)
		med := overheads[len(overheads)/2]
		worst = max(worst, med)
		fmt.Printf("%-28s median overhead %s\n\n", c.name, ms(med))
	}
	verdict := "within"
	if worst > target {
		verdict = "OVER"
	}
	fmt.Printf("worst median overhead %s: %s the %v target\n", ms(worst), verdict, target)
}

type measurement struct {
	wall, measured, build time.Duration
}

// invoke runs speedup once. k != 0 adds a setup statement mentioning k, so
// that the generated file differs from any earlier build.
func invoke(bin string, k int) (measurement, error) {
	args := []string{"timeit", "--json", "-n", "100", "-r", "7", "-C", "./examples/distance"}
	if k != 0 {
		args = append(args, "-s", fmt.Sprintf("k := %d", k))
	}
	args = append(args, "distance()")
	cmd := exec.Command(bin, args...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return measurement{}, fmt.Errorf("speedup: %v\n%s", err, stderr.String())
	}
	var doc struct {
		CompileSeconds float64 `json:"compile_seconds"`
		Result         struct {
			Samples []struct {
				ElapsedNs int64 `json:"elapsed_ns"`
			} `json:"samples"`
		} `json:"result"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		return measurement{}, fmt.Errorf("parsing speedup's JSON: %v", err)
	}
	m := measurement{wall: wall, build: time.Duration(doc.CompileSeconds * float64(time.Second))}
	for _, s := range doc.Result.Samples {
		m.measured += time.Duration(s.ElapsedNs)
	}
	return m, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", d.Seconds()*1000) }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "overhead:", err)
	os.Exit(1)
}
