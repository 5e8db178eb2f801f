package dist

import (
	"context"
	"crypto/rand"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/runtime/graphx"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/runtime/metricsx"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/runtime/xlangx"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	jobpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/jobmanagement_v1"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/universal/runnerlib"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/vet"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/util/grpcx"

	"github.com/gospeedup/speedup/diag"
)

// Workers outside this process.
//
// With a job server (--endpoint) and an environment other than LOOPBACK
// (PROCESS, DOCKER, EXTERNAL), the runner starts the workers itself, from
// the worker binary the driver stages: they share no memory with the
// driver. Items reach them in the pipeline or in files of the job's
// directory, results and errors come back in files, counters as the job's
// metrics. dist submits such jobs itself, with the pieces of Beam's
// universal runner, rather than through beam.Run: Beam's runner gives the
// job's id only once the job has ended, and dist needs it before, to
// cancel the job on the job server when the driver's context is cancelled.
// With prism in this process and such an environment, Beam's prism runner
// starts the job server and submits the first job itself (its
// cancellation stops waiting for the job, not the job); later jobs go to
// that server through dist.

// portableRunners are the runners that submit to a job server through
// Beam's universal runner.
var portableRunners = map[string]bool{
	"universal": true, "portable": true, "portablerunner": true,
	"flink": true, "flinkrunner": true, "spark": true, "sparkrunner": true,
	"prism": true, "prismrunner": true,
}

// remoteWorkers reports whether the job is submitted to a job server whose
// workers are not in this process, so that dist submits it itself.
func remoteWorkers(runner string) bool {
	env := strings.ToLower(*jobopts.EnvironmentType)
	return *jobopts.Endpoint != "" && env != "" && env != "loopback" && portableRunners[strings.ToLower(runner)]
}

// checkReach returns an error when the workers cannot reach the job's
// directory: without --temp_location it is a directory of this machine,
// which only workers in processes of this machine see, not those of
// another machine or in containers. Workers started as processes of this
// machine must have a command that starts.
func checkReach() error {
	local := *jobopts.Endpoint == "" || localEndpoint(*jobopts.Endpoint)
	if strings.EqualFold(*jobopts.EnvironmentType, "process") && local {
		return checkProcessCommand(*jobopts.EnvironmentConfig)
	}
	if strings.EqualFold(*jobopts.EnvironmentType, "external") && local && localEndpoint(*jobopts.EnvironmentConfig) {
		return nil // a worker pool of this machine (distboot --worker_pool)
	}
	if env := strings.ToLower(*jobopts.EnvironmentType); env == "" || env == "loopback" {
		return nil // in this process, or the runner's own (Dataflow)
	}
	if f := flag.Lookup("temp_location"); f != nil && f.Value.String() != "" {
		return nil
	}
	return fmt.Errorf("dist: workers in a %s environment cannot reach this machine's temporary directory: give --temp_location, storage that they and this program can reach (gs://bucket/tmp, a shared file system)", *jobopts.EnvironmentType)
}

// checkProcessCommand returns an error unless the command of a PROCESS
// environment on this machine, config's "command", is an executable file:
// prism reports a command that does not start in its own log only, and
// the job then waits for its workers for ever.
func checkProcessCommand(config string) error {
	var pp struct{ Command string }
	if err := json.Unmarshal([]byte(config), &pp); err != nil {
		return fmt.Errorf("dist: --environment_config of a PROCESS environment: %v (want {\"command\":\"/path/to/distboot\"})", err)
	}
	if pp.Command == "" {
		return errors.New(`dist: --environment_config of a PROCESS environment names no command (want {"command":"/path/to/distboot"})`)
	}
	if _, err := exec.LookPath(pp.Command); err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			err = ee.Err
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		if errors.Is(err, exec.ErrNotFound) {
			err = errors.New("not found in $PATH")
		}
		return fmt.Errorf("dist: the workers' command %s: %v (build it with go build github.com/gospeedup/speedup/dist/cmd/distboot)", pp.Command, err)
	}
	return nil
}

// localEndpoint reports whether endpoint HOST:PORT is on this machine.
func localEndpoint(endpoint string) bool {
	host, _, err := net.SplitHostPort(endpoint)
	return err == nil && (host == "localhost" || net.ParseIP(host).IsLoopback())
}

// cancelWait bounds the wait for a cancelled job to stop on the job server.
const cancelWait = 10 * time.Second

// selfWorker returns this program's own binary when it can be the
// workers' (dist.Init makes it one): on linux, for worker processes
// (PROCESS, on this machine or on machines like it), and on linux/amd64,
// the platform of Beam's containers, when it is statically linked (a
// container's C library may differ from this machine's). Otherwise Beam
// compiles the program's main package again, for linux/amd64 without cgo,
// which works only under go run and takes a minute.
func selfWorker() (string, bool) {
	if runtime.GOOS != "linux" {
		return "", false
	}
	self, err := os.Executable()
	if err != nil {
		return "", false
	}
	switch strings.ToLower(*jobopts.EnvironmentType) {
	case "process", "external": // processes started by a boot program or a worker pool
		return self, true
	}
	return self, runtime.GOARCH == "amd64" && static(self)
}

// static reports whether the ELF binary at path has no dynamic loader.
func static(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

// workerBinary returns the binary the runner starts as the workers:
// --worker_binary, this program itself (see selfWorker), or one compiled
// from the main package's source for linux/amd64 as Beam does, with the
// function that removes it.
func workerBinary(ctx context.Context) (string, func(), error) {
	if *jobopts.WorkerBinary != "" {
		return *jobopts.WorkerBinary, func() {}, nil
	}
	if self, ok := selfWorker(); ok {
		return self, func() {}, nil
	}
	bin, err := runnerlib.BuildTempWorkerBinary(ctx, runnerlib.CompileOpts{})
	if err != nil {
		return "", nil, fmt.Errorf("dist: building a linux/amd64 worker binary: %v (build one and name it with --worker_binary)", err)
	}
	return bin, func() { os.Remove(bin) }, nil
}

// submit runs pipeline p on the job server of --endpoint, as Beam's
// universal runner does without LOOPBACK, and waits for its end. When ctx
// is cancelled, it cancels the job on the job server, waits (at most
// cancelWait) for the job to stop, and returns ctx.Err().
func submit(ctx context.Context, p *beam.Pipeline) (beam.PipelineResult, error) {
	if *jobopts.Strict {
		if _, err := vet.Execute(ctx, p); err != nil {
			return nil, err
		}
	}
	endpoint, err := jobopts.GetEndpoint()
	if err != nil {
		return nil, err
	}
	bin, remove, err := workerBinary(ctx)
	if err != nil {
		return nil, err
	}
	defer remove()
	edges, _, err := p.Build()
	if err != nil {
		return nil, err
	}
	xlangx.ResolveArtifacts(ctx, edges, nil)
	env, err := graphx.CreateEnvironment(ctx, jobopts.GetEnvironmentUrn(ctx), jobopts.GetEnvironmentConfig)
	if err != nil {
		return nil, err
	}
	pipeline, err := graphx.Marshal(edges, &graphx.Options{Environment: env, PipelineResourceHints: jobopts.GetPipelineResourceHints()})
	if err != nil {
		return nil, err
	}
	if err := runnerlib.UpdateGoEnvironmentWorker(bin, pipeline); err != nil {
		return nil, err
	}
	cc, err := grpcx.Dial(ctx, endpoint, 2*time.Minute)
	if err != nil {
		return nil, fmt.Errorf("connecting to the job server at %s: %v", endpoint, err)
	}
	defer cc.Close()
	client := jobpb.NewJobServiceClient(cc)
	opt := &runnerlib.JobOptions{
		Name:         jobopts.GetJobName(),
		Experiments:  jobopts.GetExperiments(),
		Worker:       bin,
		RetainDocker: *jobopts.RetainDockerContainers,
		Parallelism:  *jobopts.Parallelism,
	}
	prepID, artifacts, token, err := runnerlib.Prepare(ctx, client, pipeline, opt)
	if err != nil {
		return nil, err
	}
	if token, err = runnerlib.Stage(ctx, prepID, artifacts, bin, token); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Run is not cancelled with ctx: a job the server started must be
	// known by its id, to be cancelled.
	jobID, err := runnerlib.Submit(context.WithoutCancel(ctx), client, prepID, token)
	if err != nil {
		return nil, err
	}
	err = runnerlib.WaitForCompletion(ctx, client, jobID)
	if ctx.Err() != nil {
		if err := cancelJob(context.WithoutCancel(ctx), client, jobID); err != nil {
			return nil, fmt.Errorf("%w; job %s may still be running on %s: cancelling it: %v", ctx.Err(), jobID, endpoint, err)
		}
		return nil, ctx.Err()
	}
	if err != nil {
		// Beam puts the runner's last error on the lines after "job ID
		// failed:"; a dist error is one line.
		return nil, fmt.Errorf("%s", strings.Join(strings.Fields(err.Error()), " "))
	}
	m, err := client.GetJobMetrics(ctx, &jobpb.GetJobMetricsRequest{JobId: jobID})
	if err != nil {
		return nil, fmt.Errorf("the job's metrics: %v", err)
	}
	res := metricsx.FromMonitoringInfos(pipeline, m.GetMetrics().GetAttempted(), m.GetMetrics().GetCommitted())
	return &remoteResult{jobID: jobID, metrics: res}, nil
}

// cancelJob asks the job server to cancel job id and waits, at most
// cancelWait, for the job to reach a final state, so that its workers no
// longer write into the job's directory when the driver removes it.
func cancelJob(ctx context.Context, client jobpb.JobServiceClient, id string) error {
	ctx, cancel := context.WithTimeout(ctx, cancelWait)
	defer cancel()
	if _, err := client.Cancel(ctx, &jobpb.CancelJobRequest{JobId: id}); err != nil {
		return err
	}
	for {
		st, err := client.GetState(ctx, &jobpb.GetJobStateRequest{JobId: id})
		if err != nil {
			return err
		}
		switch st.GetState() {
		case jobpb.JobState_CANCELLED, jobpb.JobState_DONE, jobpb.JobState_FAILED, jobpb.JobState_DRAINED, jobpb.JobState_UPDATED:
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("the job did not stop in time")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type remoteResult struct {
	jobID   string
	metrics *metrics.Results
}

func (r *remoteResult) Metrics() metrics.Results { return *r.metrics }
func (r *remoteResult) JobID() string            { return r.jobID }

// taskRecord is a chunk's task as a worker elsewhere saw it: the driver's
// observer sees those tasks when the job ends, with the workers' times.
type taskRecord struct {
	ID, Worker int
	Start, End time.Time
	Err        string
}

func taskName(dir string, chunk int) string { return join(dir, fmt.Sprintf("task-%06d", chunk)) }

// recordTask leaves chunk's task record in the job's directory.
func recordTask(ctx context.Context, dir string, chunk, worker int, start, end time.Time, err error) {
	r := taskRecord{ID: chunk, Worker: worker, Start: start, End: end}
	if err != nil {
		r.Err = err.Error()
	}
	if data, err := encode(r); err == nil {
		writeJobFile(context.WithoutCancel(ctx), taskName(dir, chunk), data)
	}
}

// replayTasks reports the tasks recorded in the job's directory to o, in
// the order of their events' times.
func replayTasks(dir string, o diag.Observer) {
	ctx := context.Background()
	fsys, err := filesystem.New(ctx, dir)
	if err != nil {
		return
	}
	defer fsys.Close()
	names, err := fsys.List(ctx, join(dir, "task-*"))
	if err != nil {
		return
	}
	type event struct {
		at   time.Time
		end  bool
		task diag.Task
	}
	var events []event
	for _, n := range names {
		if strings.Contains(n, ".tmp-") {
			continue
		}
		data, err := filesystem.Read(ctx, fsys, n)
		var r taskRecord
		if err != nil || decode(data, &r) != nil {
			continue
		}
		t := diag.Task{ID: int64(r.ID), Name: "chunk", Worker: r.Worker, Start: r.Start}
		events = append(events, event{at: r.Start, task: t})
		t.End = r.End
		if r.Err != "" {
			t.Err = errors.New(r.Err)
		}
		events = append(events, event{at: r.End, end: true, task: t})
	}
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	for _, e := range events {
		if e.end {
			o.TaskEnd(e.task)
		} else {
			o.TaskStart(e.task)
		}
	}
}

// writeJobFile writes a file of the job's directory as writeFile does but,
// in a local directory, never makes the directory again: Beam's local file
// system would, for a worker elsewhere still writing in the moment between
// a cancelled job's end and the driver's removal of its directory.
func writeJobFile(ctx context.Context, path string, parts ...[]byte) error {
	if strings.Contains(path, "://") {
		return writeFile(ctx, path, parts...)
	}
	var rnd [4]byte
	rand.Read(rnd[:])
	tmp := path + ".tmp-" + hex.EncodeToString(rnd[:])
	if err := writeLocal(tmp, parts); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// writeLocal writes parts to a new file at path, in a directory that must
// exist.
func writeLocal(path string, parts [][]byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if _, err := f.Write(p); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}
