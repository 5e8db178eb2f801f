package dist

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	jobpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/jobmanagement_v1"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/util/grpcx"

	"github.com/gospeedup/speedup/diag"
	"github.com/gospeedup/speedup/dist/internal/prismtest"
)

// These tests run the jobs on a prism job server process whose workers are
// processes of their own, started by prism with dist's boot program
// (--environment_type=PROCESS) from this test binary, which the driver
// stages: the driver and the workers share no memory.

// workerPid returns the process id of the worker that runs it.
func workerPid(ctx context.Context, v int) (int, error) { return os.Getpid(), nil }

// marksEnv names the directory where slowItem marks the items it starts.
// The workers inherit it from the job server, which inherits it from the
// test.
const marksEnv = "DIST_TEST_MARKS"

// slowItem takes itemTime, leaving a file named after the item, holding
// its process id, when it starts. It ignores its context, as a function
// busy computing does: a cancelled job must stop without its help.
func slowItem(ctx context.Context, v int) (int, error) {
	if dir := os.Getenv(marksEnv); dir != "" {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("item-%d", v)), []byte(strconv.Itoa(os.Getpid())), 0o644)
	}
	time.Sleep(itemTime)
	return v, nil
}

const itemTime = 250 * time.Millisecond

func init() {
	RegisterMap(workerPid)
	RegisterMap(slowItem)
}

// processWorkers starts a prism job server process and points dist's runs
// at it with process workers until the test ends; it returns the server's
// endpoint and the directory of slowItem's marks.
func processWorkers(t *testing.T) (endpoint, marks string) {
	t.Helper()
	boot := prismtest.Boot(t)
	marks, err := os.MkdirTemp(filepath.Dir(tmp), "distmarks")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(marks) })
	t.Setenv(marksEnv, marks)
	endpoint = prismtest.Start(t)
	runner, ep, env, cfg := *runners.Runner, *jobopts.Endpoint, *jobopts.EnvironmentType, *jobopts.EnvironmentConfig
	t.Cleanup(func() {
		*runners.Runner, *jobopts.Endpoint, *jobopts.EnvironmentType, *jobopts.EnvironmentConfig = runner, ep, env, cfg
	})
	*runners.Runner, *jobopts.Endpoint = "universal", endpoint
	*jobopts.EnvironmentType, *jobopts.EnvironmentConfig = "PROCESS", prismtest.ProcessConfig(boot)
	return endpoint, marks
}

// gone waits, at most 10 s, until none of the processes pids is running.
func gone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var left []int
		for _, p := range pids {
			if running(p) {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("worker processes %v still running 10 s after the job", left)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running reports whether process pid exists and is not a zombie.
func running(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// jobStates returns the states of the job server's jobs, by id.
func jobStates(t *testing.T, endpoint string) map[string]jobpb.JobState_Enum {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cc, err := grpcx.Dial(ctx, endpoint, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	resp, err := jobpb.NewJobServiceClient(cc).GetJobs(ctx, &jobpb.GetJobsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]jobpb.JobState_Enum{}
	for _, j := range resp.GetJobInfo() {
		states[j.GetJobId()] = j.GetState()
	}
	return states
}

func TestProcessWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a job server and worker processes")
	}
	processWorkers(t)
	ctx := context.Background()
	before := warm(t)

	t.Run("other process", func(t *testing.T) {
		pids := workerPids(t, ctx)
		t.Logf("driver %d, workers %v", os.Getpid(), pids)
		gone(t, pids)
	})

	t.Run("contract", func(t *testing.T) {
		xs := ints(10000)
		// The default chunks travel in the pipeline; chunks of 5000 go
		// through the job's directory (beyond inlineMax).
		for _, opts := range [][]Option{nil, {ChunkSize(5000)}} {
			sq, err := Map(ctx, xs, square, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(sq[:3]) != "[0 1 4]" || sq[9999] != 9999*9999 {
				t.Errorf("Map: %v ... %d", sq[:3], sq[9999])
			}
			total, err := MapReduce(ctx, xs, square, add, opts...)
			if err != nil || total != 333283335000 {
				t.Errorf("MapReduce = %d, %v; want 333283335000", total, err)
			}
		}
	})

	t.Run("item error", func(t *testing.T) {
		_, err := Map(ctx, ints(2000), failAt)
		want := "dist: github.com/gospeedup/speedup/dist.failAt: item 1234: boom at 1234"
		var ie *ItemError
		if !errors.As(err, &ie) || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	})

	t.Run("panic", func(t *testing.T) {
		_, err := MapReduce(ctx, ints(100), panicAt, add)
		var ie *ItemError
		if !errors.As(err, &ie) || !ie.Panic || ie.Index != 77 {
			t.Fatalf("err = %v, want a panic at item 77", err)
		}
		if want := "dist: github.com/gospeedup/speedup/dist.panicAt: item 77: panic: assignment to entry in nil map"; err.Error() != want {
			t.Errorf("err = %q, want %q", err, want)
		}
		if !strings.Contains(ie.Stack, "dist.panicAt") {
			t.Errorf("the worker's stack does not show the panicking function:\n%s", ie.Stack)
		}
	})

	t.Run("observer", func(t *testing.T) {
		rec := diag.NewRecorder()
		if _, err := Map(ctx, ints(100), square, ChunkSize(10), Shards(2), Observe(rec)); err != nil {
			t.Fatal(err)
		}
		tasks := rec.Tasks()
		var ids []int
		for _, task := range tasks {
			ids = append(ids, int(task.ID))
			if task.Worker < 0 || task.Worker > 1 || task.End.Before(task.Start) || task.Start.IsZero() {
				t.Errorf("task %d on worker %d from %v to %v", task.ID, task.Worker, task.Start, task.End)
			}
		}
		slices.Sort(ids)
		if !slices.Equal(ids, ints(10)) {
			t.Errorf("task ids %v, want the 10 chunks", ids)
		}
	})

	t.Run("per key and counters", func(t *testing.T) {
		counters := map[string]int64{}
		var report bytes.Buffer
		got, err := MapReducePerKey(ctx, []string{"a b a", "c a", "", "b b b", "a"}, words, add, ChunkSize(2), Counters(counters), Report(&report))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != "map[a:4 b:4 c:1]" {
			t.Errorf("got %v, want map[a:4 b:4 c:1]", got)
		}
		if counters["words"] != 9 || counters["lines"] != 5 {
			t.Errorf("counters = %v, want words 9, lines 5 (the workers' metrics, through the job server)", counters)
		}
		if r := report.String(); !strings.Contains(r, "words on universal: 5 items in 3 chunks") {
			t.Errorf("report:\n%s", r)
		}
	})
	clean(t, before)
}

// Cancelling the driver's context cancels the job on the job server: the
// driver returns at once, the job ends CANCELLED and its workers are gone.
func TestProcessWorkersCancel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a job server and worker processes")
	}
	endpoint, marks := processWorkers(t)
	before := warm(t)
	const n = 40
	work := n * itemTime // the job's work, one item after the other
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		_, err := Map(ctx, ints(n), slowItem, ChunkSize(1), Shards(2))
		done <- result{err, time.Now()}
	}()
	// Cancel as soon as a worker has started an item.
	var cancelled time.Time
	var r result
	timeout := time.After(2 * time.Minute)
wait:
	for {
		select {
		case r = <-done:
			t.Fatalf("the job ended before any item started: %v", r.err)
		case <-timeout:
			t.Fatal("no item started in 2 minutes")
		case <-time.After(10 * time.Millisecond):
			if names, _ := filepath.Glob(filepath.Join(marks, "item-*")); len(names) > 0 {
				cancelled = time.Now()
				cancel()
				break wait
			}
		}
	}
	r = <-done
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", r.err)
	}
	latency := r.at.Sub(cancelled)
	ratio := float64(latency) / float64(work)
	t.Logf("returned %v after the cancellation: %.3f of the job's work (%v)", latency.Round(time.Millisecond), ratio, work)
	if ratio > 0.25 {
		t.Errorf("returned %v after the cancellation, %.2f of the job's %v of work: want at most 0.25", latency, ratio, work)
	}
	names, _ := filepath.Glob(filepath.Join(marks, "item-*"))
	if len(names) >= n {
		t.Errorf("all %d items started: the job was not cancelled", len(names))
	}
	var pids []int
	for _, name := range names {
		b, _ := os.ReadFile(name)
		if p, err := strconv.Atoi(string(b)); err == nil && !slices.Contains(pids, p) {
			pids = append(pids, p)
		}
	}
	if len(pids) == 0 || slices.Contains(pids, os.Getpid()) {
		t.Errorf("worker pids %v: want other processes than the driver, %d", pids, os.Getpid())
	}
	gone(t, pids)
	states := jobStates(t, endpoint)
	var cancelledJobs int
	for id, s := range states {
		switch s {
		case jobpb.JobState_CANCELLED, jobpb.JobState_CANCELLING:
			cancelledJobs++
		case jobpb.JobState_DONE:
		default:
			t.Errorf("job %s: %v, want DONE or CANCELLED", id, s)
		}
	}
	if cancelledJobs != 1 {
		t.Errorf("job states %v: want one job cancelled", states)
	}
	clean(t, before)
}

// The program is its workers' binary for worker processes, and for
// containers only when it is statically linked.
func TestSelfWorker(t *testing.T) {
	env, ep := *jobopts.EnvironmentType, *jobopts.Endpoint
	defer func() { *jobopts.EnvironmentType, *jobopts.Endpoint = env, ep }()
	self, _ := os.Executable()
	*jobopts.EnvironmentType, *jobopts.Endpoint = "PROCESS", "localhost:8099"
	if got, ok := selfWorker(); runtime.GOOS == "linux" && (!ok || got != self) {
		t.Errorf("PROCESS: selfWorker() = %q, %v; want %q", got, ok, self)
	}
	*jobopts.EnvironmentType = "DOCKER"
	if _, ok := selfWorker(); ok != (runtime.GOOS == "linux" && runtime.GOARCH == "amd64" && static(self)) {
		t.Errorf("DOCKER: selfWorker() ok = %v with a binary static %v", ok, static(self))
	}
	if static("/nonexistent") {
		t.Error("static(/nonexistent) = true")
	}
}

// A worker writing after the driver removed a local job directory does
// not make it again.
func TestWriteJobFileNoDir(t *testing.T) {
	base, err := os.MkdirTemp(filepath.Dir(tmp), "distjob")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	dir := filepath.Join(base, "dist-gone")
	if err := writeJobFile(context.Background(), partName(dir, 3), []byte("x")); err == nil {
		t.Error("writeJobFile into a missing directory: no error")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the job's directory was made again: %v", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeJobFile(context.Background(), partName(dir, 3), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(partName(dir, 3)); string(b) != "x" || err != nil {
		t.Errorf("read back %q, %v", b, err)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*")); len(names) > 0 {
		t.Errorf("temporary files left: %v", names)
	}
}

// A job's directory under a local --temp_location is made by the driver and
// removed whole.
func TestTempDirLocal(t *testing.T) {
	base, err := os.MkdirTemp(filepath.Dir(tmp), "disttl")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	tl := flag.Lookup("temp_location").Value.String()
	defer flag.Set("temp_location", tl)
	flag.Set("temp_location", base)
	// No goroutine count here: with --temp_location set, Beam's harness
	// samples the heap for a while after a job (for profiles it would
	// upload there).
	if got, err := MapReduce(context.Background(), ints(10000), square, add, ChunkSize(5000)); err != nil || got != 333283335000 {
		t.Fatalf("MapReduce = %d, %v", got, err)
	}
	if entries, _ := os.ReadDir(base); len(entries) > 0 {
		t.Errorf("left under --temp_location: %v", entries)
	}
}

// The same with an EXTERNAL environment: a worker pool (distboot
// --worker_pool) starts the workers when prism asks it for them.
func TestPoolWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a job server, a worker pool and worker processes")
	}
	boot := prismtest.Boot(t)
	processWorkers(t)
	*jobopts.EnvironmentType, *jobopts.EnvironmentConfig = "EXTERNAL", prismtest.StartPool(t, boot)
	before := warm(t)
	ctx := context.Background()
	pids := workerPids(t, ctx)
	gone(t, pids)
	total, err := MapReduce(ctx, ints(10000), square, add)
	if err != nil || total != 333283335000 {
		t.Errorf("MapReduce = %d, %v; want 333283335000", total, err)
	}
	clean(t, before)
}

// exitWorker ends the worker process that runs it, as a crash would.
func exitWorker(ctx context.Context, v int) (int, error) {
	if f := flag.Lookup("worker"); f != nil && f.Value.String() == "true" {
		os.Exit(3)
	}
	return v, nil
}

func init() { RegisterMap(exitWorker) }

// A worker process that dies fails the job with an error, without hanging.
func TestProcessWorkerDies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a job server and worker processes")
	}
	processWorkers(t)
	before := warm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := Map(ctx, ints(10), exitWorker)
	t.Logf("err = %v", err)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("err = %v (context: %v), want the job's failure", err, ctx.Err())
	}
	// One line, naming the function and saying why.
	if msg := err.Error(); !strings.Contains(msg, "dist.exitWorker on universal: job ") || !strings.Contains(msg, "worker disconnected") || strings.Contains(msg, "\n") {
		t.Errorf("err = %q, want one line naming the function and the worker's end", msg)
	}
	clean(t, before)
}

// workerPids maps 40 items to the pid of the process that ran each and
// returns the distinct pids, failing unless all are other processes than
// this driver.
func workerPids(t *testing.T, ctx context.Context) []int {
	t.Helper()
	pids, err := Map(ctx, ints(40), workerPid, ChunkSize(5))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(pids)
	pids = slices.Compact(pids)
	if slices.Contains(pids, os.Getpid()) || slices.Contains(pids, 0) {
		t.Fatalf("worker pids %v include the driver's, %d", pids, os.Getpid())
	}
	return pids
}
