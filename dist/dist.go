// Package dist runs par-style maps and reductions on Apache Beam: the
// embedded prism runner by default, in this process, and Flink, Spark or
// Google Cloud Dataflow when the data outgrow one machine, with the same
// code.
//
//	func square(ctx context.Context, v int) (int, error) { return v * v, nil }
//	func add(a, b int) int                               { return a + b }
//
//	func init() {
//		dist.RegisterMap(square) // remote workers find functions by name
//		dist.RegisterReduce(add)
//	}
//
//	func main() {
//		flag.Parse()
//		dist.Init() // a runner starts this binary as a worker: Init never returns there
//		sq, err := dist.Map(ctx, xs, square)            // results in input order
//		total, err := dist.MapReduce(ctx, xs, square, add)
//	}
//
// What runs where. The program that calls Map is the driver: it splits the
// items into chunks, builds a Beam pipeline and submits it to the runner
// chosen with Beam's own flags (--runner, --endpoint, --environment_type,
// --temp_location, ...; no flag means prism in this process). Workers
// apply the registered functions to the chunks. They run in this process
// with prism's default and with --environment_type=LOOPBACK (dist's
// default for a job server on this machine); otherwise the runner starts
// them as processes of their own (PROCESS, with dist's boot program
// cmd/distboot; EXTERNAL, with distboot --worker_pool), in containers
// (DOCKER) or on other machines, from a copy of this binary that the
// driver stages (for containers, when it is statically linked, as with
// CGO_ENABLED=0; --worker_binary names another). They find the functions
// by name, so every function is registered in init and is a top-level
// function: a closure's captured variables exist only in the driver, and
// a worker cannot see them. The dist module's tests run the same jobs with
// workers in this process and with workers as processes of a prism job
// server (--environment_type=PROCESS, and EXTERNAL with a worker pool),
// and check that those workers are other processes, that share no memory
// with the driver.
//
// Items and results of a fixed layout without pointers (numbers, bools,
// and arrays and structs of them) travel as their memory, behind a header
// that lets the reader check that it lays them out the same way (byte
// order, size, fields); other types travel encoded with encoding/gob. A
// frame that does not fit the reader's type, from another build of the
// program say, is an error, never wrong numbers.
//
// Results come back through files: workers write each chunk's results under
// a temporary directory (--temp_location when given, which a cluster's
// workers must be able to reach, such as gs://bucket/tmp; otherwise a local
// directory, enough for workers on this machine, and refused before
// anything runs for workers in containers or elsewhere), the driver reads
// them in input order and removes the directory. Counters come back as the
// job's Beam metrics.
//
// Errors follow par: the first failing item stops the job and is returned
// as an *ItemError naming the function and the item's index; a panic in a
// function becomes such an error with the worker's stack; a cancelled
// context returns ctx.Err(): workers in this process see it at once, and a
// job whose workers are elsewhere is cancelled on the job server, which
// stops them. Registration mistakes (an unregistered function, a closure,
// a type gob cannot carry) are reported before anything runs.
//
// Calls from one process run one at a time (Beam's runner settings are
// process-wide flags); each uses all its shards.
//
// What dist costs beyond par, as bench/mapreduce measures it (it
// alternates dist with par and with Beam's own emptiest pipelines on the
// same runner; 2 cores, load average 1.8): a job's start, 9.4 ms on prism
// in this process (about half a second with process workers, which stage
// the binary and start a worker for each job), where Beam alone takes
// 3.0 ms to run an Impulse and 4.3 ms to run a Create of one element into
// a ParDo; then 10 ns per item
// for a trivial function (par: 0.3 ns): the items' trip through a file
// (written by the driver, read by a worker, removed at the end) and the
// calls of the function and the merge. Copying an int's memory costs a
// fraction of a nanosecond; gob, which carried the items before, cost
// about 20 ns more per item in the same conditions. A chunk, not an item,
// is an element of the Beam pipeline. Parallelism comes from shards,
// independent parts of the pipeline that prism runs at once (see Shards).
// So for trivial items dist is well over an order of magnitude slower than
// par, and cannot come within 10x of it: 10x of par's time on a million
// items (3.0 ms) is about what Beam's emptiest pipeline takes alone. On
// one machine par is faster; dist is for work that outgrows it.
package dist

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"runtime"
	"sync/atomic"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/runtime/harness"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/util/hooks"
	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"

	"github.com/gospeedup/speedup/diag"
)

var initialized atomic.Bool

// logLevel is the level of Beam's and prism's own log lines. They tell a
// Beam developer what the runner does and drown a program's output, so
// dist shows only warnings unless asked.
var logLevel = flag.String("dist_log_level", "off", "level of Beam's and prism's log lines: off, error, warn, info or debug")

// Init must be called in main after flag.Parse and before any Map: when a
// runner starts this binary as a worker, Init runs the worker and never
// returns (it is beam.Init). It also silences Beam's and prism's logging
// (slog's default logger), unless --dist_log_level asks for it: dist
// reports failures as errors, and the runner's account of them would
// repeat each one a few times over.
//
// In tests, call flag.Parse and Init first thing in TestMain: with workers
// that the runner starts (--environment_type=PROCESS, DOCKER, ...), the
// worker binary is the test binary, and whatever TestMain does before Init
// (making a temporary directory, starting a server) each worker does too.
func Init() {
	beam.Init() // sets up Beam's logging, then returns unless this is a worker
	// Workers that run in this process (prism, LOOPBACK) would send Beam's
	// log lines to the runner and, when it goes, print them to stderr
	// through the log package: keep them in this process's slog.
	hooks.DisableHook(harness.DefaultRemoteLoggingHook)
	switch *logLevel {
	case "debug", "info", "warn", "error":
		beamlog.SetupLogging(*logLevel, "text")
	default:
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError + 100})))
	}
	// slog.SetDefault routes the log package through the slog handler;
	// give the program's own log.Printf and log.Fatal back their usual
	// output.
	log.SetOutput(os.Stderr)
	log.SetFlags(log.LstdFlags)
	initialized.Store(true)
}

// ItemError is the error of one item: the function that failed, the
// item's index in the input, and the function's error message (or the
// panic's value and stack: errors cross process boundaries as text).
type ItemError struct {
	Func  string // the function's full name, e.g. main.square
	Index int    // the item's index in the input
	Msg   string // the function's error, or "panic: value"
	Panic bool   // whether the function panicked
	Stack string // the worker goroutine's stack when it panicked
}

func (e *ItemError) Error() string {
	return fmt.Sprintf("dist: %s: item %d: %s", e.Func, e.Index, e.Msg)
}

// Option configures one call of Map, MapReduce or MapReducePerKey.
type Option func(*config)

type config struct {
	chunkSize int
	shards    int
	name      string
	writeTo   string
	report    io.Writer
	counters  map[string]int64
	observer  diag.Observer
}

// ChunkSize sets the number of items per chunk, the unit of work shipped to
// a worker. By default the items are split into 4 chunks per shard.
func ChunkSize(n int) Option { return func(c *config) { c.chunkSize = n } }

// Shards sets the number of independent parts of the pipeline, each with
// its own share of the chunks. Prism runs one part's chunks one after the
// other in one bundle, and different parts at once, so Shards is the
// parallelism on prism; distributed runners also spread the shards over
// workers. The default is runtime.NumCPU() of the driver.
func Shards(n int) Option { return func(c *config) { c.shards = n } }

// Name names the job (the default is the function's name).
func Name(name string) Option { return func(c *config) { c.name = name } }

// WriteTo makes the workers write the results as text, one line per result
// (fmt.Sprint; "key<TAB>value" for MapReducePerKey), to files named
// prefix-SSSSS-of-NNNNN instead of sending them back: the way to keep big
// outputs on the cluster. The prefix may be any path Beam's file systems
// know (a local path, gs://...). The returned slice, value or map is then
// empty.
func WriteTo(prefix string) Option { return func(c *config) { c.writeTo = prefix } }

// Report writes a summary of the run to w when it ends: the runner, items,
// chunks, shards and time, and the job's counters (see Inc).
func Report(w io.Writer) Option { return func(c *config) { c.report = w } }

// Counters fills m with the job's counters (see Inc) when it ends, summed
// over all steps; m must not be nil.
func Counters(m map[string]int64) Option { return func(c *config) { c.counters = m } }

// Observe reports every chunk to o as a task, as par does. Chunks processed
// in this process are reported as they start and end; chunks processed by
// workers elsewhere, when the job ends, with the times the workers
// measured (their clocks, a cluster's machines may disagree by a little).
func Observe(o diag.Observer) Option { return func(c *config) { c.observer = o } }

func newConfig(opts []Option) (config, error) {
	c := config{}
	for _, o := range opts {
		o(&c)
	}
	if c.chunkSize < 0 || c.shards < 0 {
		return c, errors.New("dist: ChunkSize and Shards must not be negative")
	}
	if c.shards == 0 {
		c.shards = runtime.NumCPU()
	}
	return c, nil
}

// split returns the [lo, hi) bounds of the chunks of n items.
func (c *config) split(n int) [][2]int {
	if n == 0 {
		return nil
	}
	size := c.chunkSize
	if size == 0 {
		chunks := 4 * c.shards
		size = (n + chunks - 1) / chunks
	}
	var out [][2]int
	for lo := 0; lo < n; lo += size {
		out = append(out, [2]int{lo, min(lo+size, n)})
	}
	return out
}

// Inc adds n to the counter name of the running job: call it from a
// registered function, with the context it was given. The counters are
// Beam metrics, summed over all workers, shown by Report and returned by
// Counters at the end.
func Inc(ctx context.Context, name string, n int64) {
	beam.NewCounter(userNamespace, name).Inc(ctx, n)
}

const userNamespace = "dist"

// Map applies fn to every item on the runner's workers and returns the
// results in input order, like par.Map. fn must be registered with
// RegisterMap.
func Map[T, R any](ctx context.Context, items []T, fn func(ctx context.Context, item T) (R, error), opts ...Option) ([]R, error) {
	e, err := lookupMap(fn, "RegisterMap")
	if err != nil {
		return nil, err
	}
	if e.mapChunk == nil {
		return nil, fmt.Errorf("dist: %s is registered for MapReducePerKey, not Map", e.name)
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return []R{}, ctx.Err()
	}
	parts, err := run(ctx, &c, job{kind: kindMap, fn: e, fnKey: key(e.name, fn)}, items)
	if err != nil || c.writeTo != "" {
		return nil, err
	}
	out := make([]R, 0, len(items))
	for _, p := range parts {
		var rs []R
		if err := decode(p, &rs); err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	if len(out) != len(items) {
		return nil, fmt.Errorf("dist: %s: %d results for %d items", e.name, len(out), len(items))
	}
	return out, nil
}

// MapReduce applies fn to every item and merges the results with merge, in
// input order: merge must be associative, need not be commutative. Each
// chunk is folded where it is mapped, and the chunks' partial results are
// folded in order at the end, so the result is the same from run to run
// for a given chunking. With no items it returns the zero A. fn and merge
// must be registered with RegisterMap and RegisterReduce.
func MapReduce[T, A any](ctx context.Context, items []T, fn func(ctx context.Context, item T) (A, error), merge func(a, b A) A, opts ...Option) (A, error) {
	var zero A
	e, err := lookupMap(fn, "RegisterMap")
	if err != nil {
		return zero, err
	}
	if e.reduceChunk == nil {
		return zero, fmt.Errorf("dist: %s is registered for MapReducePerKey, not MapReduce", e.name)
	}
	r, err := lookupReduce(merge)
	if err != nil {
		return zero, err
	}
	c, err := newConfig(opts)
	if err != nil {
		return zero, err
	}
	if len(items) == 0 {
		return zero, ctx.Err()
	}
	parts, err := run(ctx, &c, job{kind: kindReduce, fn: e, fnKey: key(e.name, fn), merge: r, mergeKey: key(r.name, merge)}, items)
	if err != nil || c.writeTo != "" {
		return zero, err
	}
	if len(parts) != 1 {
		return zero, fmt.Errorf("dist: %s: %d results from the reduction, want 1", e.name, len(parts))
	}
	var acc A
	if err := decode(parts[0], &acc); err != nil {
		return zero, err
	}
	return acc, nil
}

// MapReducePerKey is Beam's CombinePerKey: fn calls emit(key, value) for
// every pair it finds in an item, and the values of each key are merged
// with merge (in input order, so merge need not be commutative). Pairs are
// combined within each chunk first, and then across chunks after the
// shuffle, on the workers. fn and merge must be registered with
// RegisterMapPerKey and RegisterReduce.
func MapReducePerKey[T any, K comparable, A any](ctx context.Context, items []T, fn func(ctx context.Context, item T, emit func(K, A)) error, merge func(a, b A) A, opts ...Option) (map[K]A, error) {
	e, err := lookupMap(fn, "RegisterMapPerKey")
	if err != nil {
		return nil, err
	}
	r, err := lookupReduce(merge)
	if err != nil {
		return nil, err
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	out := map[K]A{}
	if len(items) == 0 {
		return out, ctx.Err()
	}
	parts, err := run(ctx, &c, job{kind: kindPerKey, fn: e, fnKey: key(e.name, fn), merge: r, mergeKey: key(r.name, merge)}, items)
	if err != nil || c.writeTo != "" {
		return nil, err
	}
	if len(parts) != 1 {
		return nil, fmt.Errorf("dist: %s: %d results from the reduction, want 1", e.name, len(parts))
	}
	var pairs [][2][]byte
	if err := decode(parts[0], &pairs); err != nil {
		return nil, err
	}
	for _, p := range pairs {
		var k K
		var a A
		if err := decode(p[0], &k); err != nil {
			return nil, err
		}
		if err := decode(p[1], &a); err != nil {
			return nil, err
		}
		out[k] = a
	}
	return out, nil
}
