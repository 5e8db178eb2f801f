// Command distboot starts a dist worker process for a Beam runner's
// PROCESS environment: the runner (prism, Flink, Spark) runs
//
//	distboot --id=WORKER --provision_endpoint=HOST:PORT
//
// for each worker it wants, as in
//
//	--environment_type=PROCESS --environment_config='{"command":"/path/to/distboot"}'
//
// distboot asks the runner for the job's pipeline options and staged
// files, fetches the worker binary the driver staged (a copy of the
// driver's own binary, see dist.Init), and runs it with --worker, which
// makes dist.Init serve the runner instead of returning.
//
// With --worker_pool [--port 50000] it serves Beam's worker pool service
// instead, for an EXTERNAL environment
// (--environment_config=HOST:PORT): the runner asks it for each worker, and
// it starts one as above.
//
// It does what Beam's Go boot program (github.com/apache/beam/sdks/v2/go/container)
// does for a container, with three differences that matter when the
// workers are plain processes on a shared machine:
//   - nothing is left on disk: the binary is fetched into a private
//     temporary directory that is removed as soon as the worker has
//     started (Linux keeps a running executable's file), and the pipeline
//     options go on the command line rather than into a file in the
//     current directory;
//   - the worker dies with distboot (a parent-death signal): a runner
//     stops an environment by killing the command it started, and Beam's
//     boot would leave its worker running;
//   - a worker id in single quotes, as prism v2.77.0 passes it, is
//     unquoted (Beam's boot sends the quotes back and prism refuses it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/apache/beam/sdks/v2/go/container/pool"
	"github.com/apache/beam/sdks/v2/go/container/tools"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/artifact"
	pipepb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/pipeline_v1"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/util/grpcx"
)

var (
	id                = flag.String("id", "", "the worker's id, given by the runner (required)")
	provisionEndpoint = flag.String("provision_endpoint", "", "the runner's provision service, HOST:PORT (required)")
	// Flags Beam's container contract also passes; the provision service's
	// answer takes precedence.
	controlEndpoint  = flag.String("control_endpoint", "", "the runner's control service (optional)")
	loggingEndpoint  = flag.String("logging_endpoint", "", "the runner's logging service (optional)")
	artifactEndpoint = flag.String("artifact_endpoint", "", "the runner's artifact service (optional)")
	_                = flag.String("semi_persist_dir", "", "ignored: distboot keeps nothing on disk")

	workerPool = flag.Bool("worker_pool", false, "serve as a worker pool for an EXTERNAL environment instead: start a worker for each request")
	poolPort   = flag.Int("port", 50000, "the worker pool's port")
)

func main() {
	flag.Parse()
	// Beam's artifact package logs each file it fetches: quiet it, the
	// runner's log is the worker's.
	log.SetOutput(io.Discard)
	if *workerPool {
		if err := servePool(*poolPort); err != nil {
			fmt.Fprintln(os.Stderr, "distboot:", err)
			os.Exit(1)
		}
		return
	}
	code, err := boot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "distboot:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// boot starts the worker and returns its exit status.
func boot() (int, error) {
	wid := workerID(*id)
	if wid == "" || *provisionEndpoint == "" {
		return 0, errors.New("--id and --provision_endpoint are required (a Beam runner passes them)")
	}
	ctx := grpcx.WriteWorkerID(context.Background(), wid)
	info, err := tools.ProvisionInfo(ctx, *provisionEndpoint)
	if err != nil {
		return 0, fmt.Errorf("provision info from %s: %v", *provisionEndpoint, err)
	}
	control := or(info.GetControlEndpoint().GetUrl(), *controlEndpoint)
	logging := or(info.GetLoggingEndpoint().GetUrl(), *loggingEndpoint)
	artifacts := or(info.GetArtifactEndpoint().GetUrl(), *artifactEndpoint)
	if control == "" || logging == "" || artifacts == "" {
		return 0, fmt.Errorf("the runner gave no control, logging or artifact endpoint (got %q, %q, %q)", control, logging, artifacts)
	}
	options, err := tools.ProtoToJSON(info.GetPipelineOptions())
	if err != nil {
		return 0, fmt.Errorf("pipeline options: %v", err)
	}
	po := tools.ParseOptionsFromProto(info.GetPipelineOptions(), "go_options")
	ctx = artifact.WithArtifactValidation(ctx, !po.HasExperiment("disable_staged_file_integrity_checks"))

	dir, err := os.MkdirTemp("", "distboot-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	staged, err := artifact.Materialize(ctx, artifacts, info.GetDependencies(), info.GetRetrievalToken(), dir)
	if err != nil {
		return 0, fmt.Errorf("fetching the worker binary: %v", err)
	}
	name, err := workerName(staged)
	if err != nil {
		return 0, err
	}
	prog := filepath.Join(dir, name)
	if err := os.Chmod(prog, 0o755); err != nil {
		return 0, err
	}

	cmd := exec.Command(prog,
		"--worker=true",
		"--id="+wid,
		"--logging_endpoint="+logging,
		"--control_endpoint="+control,
		"--options="+options,
	)
	// A worker has nothing to say on standard output, but Beam's harness
	// prints a line or two there: keep them out of the runner's output
	// (which is the driver's when prism runs in the driver).
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stderr, os.Stderr
	cmd.Env = os.Environ()
	if ep := info.GetStatusEndpoint().GetUrl(); ep != "" {
		cmd.Env = append(cmd.Env, "STATUS_ENDPOINT="+ep)
	}
	if caps := info.GetRunnerCapabilities(); len(caps) > 0 {
		cmd.Env = append(cmd.Env, "RUNNER_CAPABILITIES="+strings.Join(caps, " "))
	}
	// The parent-death signal is tied to the thread that starts the child:
	// keep this goroutine on its thread so that the thread lives as long as
	// distboot.
	runtime.LockOSThread()
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting the worker: %v", err)
	}
	// Start returns once the binary is executing: its file is no longer
	// needed.
	os.RemoveAll(dir)
	err = cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() >= 0 {
			return ee.ExitCode(), nil
		}
		return 1, fmt.Errorf("worker: %v", err)
	}
	if err != nil {
		return 1, fmt.Errorf("worker: %v", err)
	}
	return 0, nil
}

// servePool serves Beam's worker pool service on port until SIGINT or
// SIGTERM: a runner with an EXTERNAL environment
// (--environment_config=HOST:PORT) asks it for each worker, and it starts
// distboot for the worker, as the runner would with a PROCESS environment.
// This is what a cluster's machines run to lend their processes to a
// runner (Beam's worker pool, with dist's boot).
func servePool(port int) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	// Beam's pool stops a worker by killing its boot process and never
	// waits for it: let the kernel reap them.
	reapChildren()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := pool.New(ctx, port, self)
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		srv.Stop(context.Background())
	}()
	fmt.Fprintf(os.Stderr, "distboot: worker pool on port %d\n", port)
	return srv.ServeAndWait()
}

// workerID returns the worker id the runner gave, without the single
// quotes around it that prism v2.77.0 adds (it starts the command without
// a shell, so they reach distboot).
func workerID(s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return s[1 : len(s)-1]
	}
	return s
}

// workerName returns the name of the staged worker binary, as Beam's boot
// finds it: the only artifact, or the one with the Go worker role, or the
// one named "worker".
func workerName(staged []*pipepb.ArtifactInformation) (string, error) {
	switch len(staged) {
	case 0:
		return "", errors.New("the runner staged no worker binary")
	case 1:
		name, _ := artifact.MustExtractFilePayload(staged[0])
		return name, nil
	}
	for _, a := range staged {
		if a.GetRoleUrn() == artifact.URNGoWorkerBinaryRole {
			name, _ := artifact.MustExtractFilePayload(a)
			return name, nil
		}
	}
	for _, a := range staged {
		if name, _ := artifact.MustExtractFilePayload(a); name == "worker" {
			return name, nil
		}
	}
	return "", fmt.Errorf("%d staged files and none is the worker binary", len(staged))
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
