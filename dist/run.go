package dist

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/metrics"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/gospeedup/speedup/diag"
)

func init() {
	register.DoFn3x1[context.Context, []byte, func([]byte, []byte), error](&chunkFn{})
	register.DoFn4x1[context.Context, []byte, func(*[]byte) bool, func([]byte, []byte), error](&mergeFn{})
	register.DoFn3x1[context.Context, []byte, func(*[]byte) bool, error](&collectFn{})
	register.Emitter2[[]byte, []byte]()
	register.Iter1[[]byte]()
}

type kind int

const (
	kindMap kind = iota
	kindReduce
	kindPerKey
)

// job is what the driver knows about one call.
type job struct {
	kind            kind
	fn              *mapEntry
	fnKey           string
	merge           *reduceEntry
	mergeKey        string
	items, nchunks  int
	id, dir, runner string
}

// local is the state of a job running in this process, found by the
// workers when they run here too (prism, LOOPBACK): the driver's context,
// so that cancelling it stops the functions at once, the observer, and a
// count of running chunks, so that the driver removes the temporary
// directory only after they have stopped writing to it.
type local struct {
	ctx      context.Context // the driver's, cancelled too by the first failure
	fail     context.CancelFunc
	observer diag.Observer
	active   sync.WaitGroup
}

var locals sync.Map // job id -> *local

// runMu serializes the runs of one process: Beam's runner options are
// process-wide flags, which the prism runner sets on its first run.
var runMu sync.Mutex

// run builds and runs the pipeline of one call and returns the encoded
// results: one per chunk for Map, one in all for MapReduce and
// MapReducePerKey.
func run[T any](ctx context.Context, c *config, j job, items []T) ([][]byte, error) {
	if !initialized.Load() {
		return nil, errors.New("dist: dist.Init was not called: call it in main after flag.Parse, before any Map (a runner starts the program as a worker there)")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	runMu.Lock()
	defer runMu.Unlock()

	bounds := c.split(len(items))
	j.items, j.nchunks = len(items), len(bounds)
	shards := min(c.shards, len(bounds))
	j.runner = configureRunner()
	if err := checkReach(); err != nil {
		return nil, err
	}
	name := c.name
	if name == "" {
		name = j.fn.name
	}

	j.id = newJobID()
	dir, cleanup, err := tempDir(ctx, j.id)
	if err != nil {
		return nil, err
	}
	j.dir = dir

	defer startLocal(ctx, j.id, c.observer, cleanup)()

	chunks, err := encodeChunks(ctx, dir, items, bounds)
	if err != nil {
		return nil, err
	}
	p := buildPipeline(c, j, chunks, shards)

	if c.observer != nil {
		c.observer.Begin(len(chunks), shards)
		defer c.observer.End()
	}
	pr, elapsed, runErr := execute(ctx, p)
	if c.observer != nil {
		replayTasks(dir, c.observer) // the chunks of workers elsewhere
	}
	if err := ctx.Err(); err != nil {
		if errors.Is(runErr, err) {
			return nil, runErr // ctx.Err(), and what became of the job
		}
		return nil, err
	}
	if ie := firstItemError(ctx, dir); ie != nil {
		return nil, ie
	}
	if runErr != nil {
		return nil, fmt.Errorf("dist: %s on %s: %s", name, j.runner, firstLine(runErr.Error()))
	}
	var counters map[string]int64
	if pr != nil {
		counters = userCounters(pr.Metrics().AllMetrics().Counters())
	}
	if c.counters != nil {
		maps.Copy(c.counters, counters)
	}
	if c.report != nil {
		writeReport(c.report, name, j.runner, j.items, len(chunks), shards, elapsed, counters)
	}
	if c.writeTo != "" {
		return nil, nil
	}
	out, err := readResults(ctx, resultFiles(j.kind, dir, len(chunks)))
	if err != nil {
		return nil, fmt.Errorf("dist: %s on %s: reading the results: %v", name, j.runner, err)
	}
	return out, nil
}

// startLocal registers the state of job id, running in this process, and
// returns the function that stops it: it cancels the job's context, waits
// for the workers in this process, forgets the job and calls cleanup.
func startLocal(ctx context.Context, id string, observer diag.Observer, cleanup func()) (stop func()) {
	st := &local{observer: observer}
	st.ctx, st.fail = context.WithCancel(ctx)
	locals.Store(id, st)
	return func() {
		st.fail()
		// Workers in this process may still be finishing a chunk after a
		// failure or a cancellation; wait for them (they see the cancelled
		// context) before removing what they write into.
		waitTimeout(&st.active, 10*time.Second)
		locals.Delete(id)
		cleanup()
	}
}

// newJobID returns a random job id: 16 hexadecimal digits.
func newJobID() string {
	var idb [8]byte
	rand.Read(idb[:])
	return hex.EncodeToString(idb[:])
}

// encodeChunks encodes the items of each chunk of bounds as a chunk
// element: chunk index, first item index, encoded items (see codec.go). Beam ships a
// Create's values inside the pipeline's description (JSON, then base64),
// whose decoding costs far more than the items' own encoding: chunks beyond
// a few KB go to a file in the job's directory instead, which the worker
// reads.
func encodeChunks[T any](ctx context.Context, dir string, items []T, bounds [][2]int) ([][]byte, error) {
	chunks := make([][]byte, len(bounds))
	for i, b := range bounds {
		head, body, err := encodeParts(items[b[0]:b[1]])
		if err != nil {
			return nil, err
		}
		size := len(head) + len(body)
		if size > inlineMax {
			if err := writeJobFile(ctx, inName(dir, i), head, body); err != nil {
				return nil, fmt.Errorf("dist: writing the input: %v", err)
			}
			chunks[i] = chunkElem(i, b[0], nil, size)
			continue
		}
		chunks[i] = chunkElem(i, b[0], append(head, body...), size)
	}
	return chunks, nil
}

// buildPipeline returns the pipeline of job j: the chunks dealt round-robin
// to shards, each shard a Create and a chunkFn, then the job kind's last
// steps.
//
// Prism busy-waits in every bundle from the moment the stage's output
// data are complete (at once, for a stage without outputs, like the last
// one here) until the bundle's response arrives: its wait is a loop over a
// select on a closed channel. An execution trace of six 1e6-item jobs
// shows what it costs: in one job, both shards' chunk stages spun 11 and
// 14 ms, because with both cores held by spinning goroutines nothing polls
// the network for the responses until Go's scheduler preempts one (after
// 10 ms); every other spin lasted under 0.4 ms. Two changes were measured,
// alternated over 30 to 40 runs, and neither helped, so neither is kept:
// giving the last stage an output (a marker into a GroupByKey nobody
// reads) removes its spin but adds a runner stage whose scheduling costs
// as much (1e6 items: 28.4 against 29.8 ms best; one item: 6.1 against
// 6.0 ms; medians disagreeing both ways), and letting the functions' loop
// sleep for a microsecond every 0.5 ms, so that the network is polled
// (30.9 against 27.5 ms best, 54.5 against 52.7 ms median, at load 6-7).
func buildPipeline(c *config, j job, chunks [][]byte, shards int) *beam.Pipeline {
	p, s := beam.NewPipelineWithRoot()
	var partials []beam.PCollection
	for sh := range shards {
		var mine []any
		for i := sh; i < len(chunks); i += shards {
			mine = append(mine, chunks[i])
		}
		ss := s.Scope(fmt.Sprintf("shard%d", sh))
		col := beam.Create(ss, mine...)
		fn := &chunkFn{Job: j.id, Kind: int(j.kind), Fn: j.fnKey, Merge: j.mergeKey, Dir: j.dir, WriteTo: c.writeTo, Chunks: len(chunks), Shard: sh, Observe: c.observer != nil}
		partials = append(partials, beam.ParDo(ss, fn, col))
	}
	switch j.kind {
	case kindMap:
		// Map's chunks write their results to files; they also send a
		// marker to a last step. Prism busy-waits through every bundle of a
		// stage that has no output (its wait for the outputs' data is a
		// channel closed from the start), which would take a core from the
		// work.
		all := beam.GroupByKey(s, beam.Flatten(s, partials...))
		beam.ParDo0(s, &collectFn{Job: j.id, Kind: int(j.kind), Fn: j.fnKey, Dir: j.dir}, all)
	case kindReduce:
		all := beam.GroupByKey(s, beam.Flatten(s, partials...))
		beam.ParDo0(s, &collectFn{Job: j.id, Kind: int(j.kind), Fn: j.fnKey, Merge: j.mergeKey, Dir: j.dir, WriteTo: c.writeTo}, all)
	case kindPerKey:
		byKey := beam.GroupByKey(s, beam.Flatten(s, partials...))
		merged := beam.ParDo(s, &mergeFn{Job: j.id, Fn: j.fnKey, Merge: j.mergeKey, Dir: j.dir}, byKey)
		beam.ParDo0(s, &collectFn{Job: j.id, Kind: int(j.kind), Fn: j.fnKey, Merge: j.mergeKey, Dir: j.dir, WriteTo: c.writeTo}, beam.GroupByKey(s, merged))
	}
	return p
}

// execute runs pipeline p and returns its result, how long it took and
// the runner's error.
//
// Failures and cancellations do not fail the Beam job: a failing chunk
// records its error in the job's directory and stops the others (at once
// in this process, at their next chunk elsewhere), and the job ends
// normally. A failed job would have the runner tear its workers down while
// bundles are still closing, which in this process can deadlock goroutines
// of Beam's harness for good (a lock-order inversion in its data manager).
// For the same reason, when the workers run here, the job is not abandoned
// on cancellation but stopped: the functions see their context cancelled
// and the chunks not started yet are skipped. When they run elsewhere, the
// job is cancelled on the job server (see submit).
func execute(ctx context.Context, p *beam.Pipeline) (beam.PipelineResult, time.Duration, error) {
	runCtx := ctx
	if jobopts.IsLoopback() || *jobopts.EnvironmentType == "" {
		runCtx = context.WithoutCancel(ctx)
	}
	start := time.Now()
	if r := *runners.Runner; remoteWorkers(r) || r == "" && remoteWorkers("prism") {
		// Workers elsewhere: dist submits the job itself, to cancel it
		// on the job server with ctx (see submit).
		pr, err := submit(ctx, p)
		return pr, time.Since(start), err
	}
	stray := loopbackFiles()
	pr, err := beamx.RunWithMetrics(runCtx, p)
	elapsed := time.Since(start)
	removeLoopbackFiles(stray)
	return pr, elapsed, err
}

// userCounters sums the counters of the user's namespace by name, taking
// each one's committed value, or its attempted value when the runner
// committed none.
func userCounters(crs []metrics.CounterResult) map[string]int64 {
	counters := map[string]int64{}
	for _, cr := range crs {
		if cr.Key.Namespace != userNamespace {
			continue
		}
		v := cr.Committed
		if v == 0 {
			v = cr.Attempted
		}
		counters[cr.Key.Name] += v
	}
	return counters
}

// writeReport writes the summary line of one call and its counters, sorted
// by name, to w.
func writeReport(w io.Writer, name, runner string, items, chunks, shards int, elapsed time.Duration, counters map[string]int64) {
	fmt.Fprintf(w, "dist: %s on %s: %d items in %d chunks, %d shards, %.2f s\n", name, runner, items, chunks, shards, elapsed.Seconds())
	names := make([]string, 0, len(counters))
	for k := range counters {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(w, "counter %s: %d\n", k, counters[k])
	}
}

// resultFiles returns the files holding a job's results: one per chunk for
// Map, one in all otherwise.
func resultFiles(k kind, dir string, chunks int) []string {
	if k != kindMap {
		return []string{join(dir, "result")}
	}
	files := make([]string, chunks)
	for i := range files {
		files[i] = partName(dir, i)
	}
	return files
}

// readResults reads the files, in order.
func readResults(ctx context.Context, files []string) ([][]byte, error) {
	out := make([][]byte, len(files))
	for i, f := range files {
		var err error
		if out[i], err = readFile(ctx, f); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// configureRunner returns the runner's name and, when the job server is on
// this machine and no environment is chosen, runs the workers in this
// process (LOOPBACK), as prism does by default: Beam's own default would be
// a Docker container per worker. Workers that the runner starts run this
// binary, unless --worker_binary names another (see selfWorker).
func configureRunner() string {
	r := *runners.Runner
	if r == "" {
		r = "prism"
	}
	if *jobopts.EnvironmentType == "" && localEndpoint(*jobopts.Endpoint) {
		*jobopts.EnvironmentType = "LOOPBACK"
	}
	// Workers started by the runner from a staged binary, when Beam
	// submits the job (prism in this process): this one.
	if env := strings.ToLower(*jobopts.EnvironmentType); env != "" && env != "loopback" && *jobopts.WorkerBinary == "" {
		if self, ok := selfWorker(); ok {
			*jobopts.WorkerBinary = self
		}
	}
	return r
}

// tempDir makes the job's directory under --temp_location, or a local
// temporary directory, and returns a function that removes it.
func tempDir(ctx context.Context, id string) (string, func(), error) {
	base := ""
	if f := flag.Lookup("temp_location"); f != nil {
		base = f.Value.String()
	}
	if base == "" {
		d, err := os.MkdirTemp("", "dist-"+id+"-")
		if err != nil {
			return "", nil, fmt.Errorf("dist: temporary directory: %v", err)
		}
		return d, func() { os.RemoveAll(d) }, nil
	}
	dir := join(base, "dist-"+id)
	if !strings.Contains(dir, "://") {
		// A local directory is made here, once (see writeJobFile).
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", nil, fmt.Errorf("dist: the job's directory: %v", err)
		}
		return dir, func() { os.RemoveAll(dir) }, nil
	}
	return dir, func() {
		fs, err := filesystem.New(context.Background(), dir)
		if err != nil {
			return
		}
		defer fs.Close()
		rm, ok := fs.(filesystem.Remover)
		if !ok {
			return
		}
		names, _ := fs.List(context.Background(), join(dir, "*"))
		for _, n := range names {
			rm.Remove(context.Background(), n)
		}
	}, nil
}

// Beam's universal runner, in LOOPBACK mode, leaves an empty temporary
// file named beamloopbackworker-* behind at every run (it stands for a
// worker binary that loopback does not need). loopbackFiles lists those
// present before a run, and removeLoopbackFiles removes the empty ones
// that appeared during it.
func loopbackFiles() map[string]bool {
	names, _ := filepath.Glob(filepath.Join(os.TempDir(), "beamloopbackworker-*"))
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func removeLoopbackFiles(before map[string]bool) {
	names, _ := filepath.Glob(filepath.Join(os.TempDir(), "beamloopbackworker-*"))
	for _, n := range names {
		if fi, err := os.Stat(n); err == nil && !before[n] && fi.Mode().IsRegular() && fi.Size() == 0 {
			os.Remove(n)
		}
	}
}

func join(dir, name string) string {
	if strings.Contains(dir, "://") {
		return strings.TrimSuffix(dir, "/") + "/" + name
	}
	return filepath.Join(dir, name)
}

func partName(dir string, chunk int) string { return join(dir, fmt.Sprintf("part-%06d", chunk)) }

func inName(dir string, chunk int) string { return join(dir, fmt.Sprintf("in-%06d", chunk)) }

// inlineMax is the largest encoded chunk carried in the pipeline itself.
const inlineMax = 8 << 10

// readFile reads the file at path. When the file system's reader knows
// the file's size (a local file does), the buffer has that size from the
// start, instead of growing as it fills and being copied at each step, as
// io.ReadAll's does; other file systems are not asked for the size, which
// would cost a request per file on a remote one.
func readFile(ctx context.Context, path string) ([]byte, error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, ok := r.(interface{ Stat() (os.FileInfo, error) })
	if !ok {
		return io.ReadAll(r)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxPrealloc {
		return io.ReadAll(r)
	}
	buf := make([]byte, fi.Size())
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("%s: shorter than its %d bytes: %v", path, fi.Size(), err)
	}
	// A file that grew meanwhile is read whole.
	rest, err := io.ReadAll(r)
	return append(buf, rest...), err
}

// maxPrealloc bounds the buffers allocated from a stated size.
const maxPrealloc = 1 << 30

// chunkSource is where a chunk's encoded items are: in the chunk element,
// or in a file of known size.
type chunkSource struct {
	data []byte
	path string
	size int64
}

// decodeChunk decodes the items of a chunk into *v.
func decodeChunk[T any](ctx context.Context, src chunkSource, v *T) error {
	if src.path == "" {
		return decode(src.data, v)
	}
	fs, err := filesystem.New(ctx, src.path)
	if err != nil {
		return err
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, src.path)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := readRaw(r, src.size, v); err != nil {
		return fmt.Errorf("%v (in %s)", err, src.path)
	}
	if n, _ := io.ReadFull(r, make([]byte, 1)); n != 0 {
		return fmt.Errorf("dist: %s: longer than its %d bytes", src.path, src.size)
	}
	return nil
}

// writeFile writes the concatenation of parts under a temporary name and
// renames it, so that a reader never sees half a file, even when a runner
// retries a bundle.
func writeFile(ctx context.Context, path string, parts ...[]byte) error {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return err
	}
	defer fs.Close()
	var rnd [4]byte
	rand.Read(rnd[:])
	tmp := path + ".tmp-" + hex.EncodeToString(rnd[:])
	if err := writeParts(ctx, fs, tmp, parts); err != nil {
		return err
	}
	if err := filesystem.Rename(ctx, fs, tmp, path); err != nil {
		// A file system without rename: write in place.
		if rm, ok := fs.(filesystem.Remover); ok {
			rm.Remove(ctx, tmp)
		}
		return writeParts(ctx, fs, path, parts)
	}
	return nil
}

func writeParts(ctx context.Context, fs filesystem.Interface, path string, parts [][]byte) error {
	w, err := fs.OpenWrite(ctx, path)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// firstItemError returns the failing item with the lowest index among the
// errors the workers recorded, or nil.
func firstItemError(ctx context.Context, dir string) *ItemError {
	fs, err := filesystem.New(ctx, dir)
	if err != nil {
		return nil
	}
	defer fs.Close()
	names, err := fs.List(ctx, join(dir, "error-*"))
	if err != nil {
		return nil
	}
	var first *ItemError
	for _, n := range names {
		if strings.Contains(n, ".tmp-") {
			continue
		}
		data, err := filesystem.Read(ctx, fs, n)
		if err != nil {
			continue
		}
		var ie ItemError
		if decode(data, &ie) != nil {
			continue
		}
		if first == nil || ie.Index < first.Index {
			first = &ie
		}
	}
	return first
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// chunkElem and parseChunk frame a chunk: index, first item, then either
// 0 and the encoded items, or 1 and the size of the file that holds them.
func chunkElem(index, first int, data []byte, size int) []byte {
	b := binary.AppendUvarint(nil, uint64(index))
	b = binary.AppendUvarint(b, uint64(first))
	if data == nil {
		return binary.AppendUvarint(append(b, 1), uint64(size))
	}
	return append(append(b, 0), data...)
}

func parseChunk(b []byte) (index, first int, data []byte, size int, err error) {
	corrupt := errors.New("dist: corrupt chunk")
	i, n := binary.Uvarint(b)
	if n <= 0 || i > math.MaxInt32 {
		return 0, 0, nil, 0, corrupt
	}
	f, m := binary.Uvarint(b[n:])
	if m <= 0 || f > math.MaxInt || len(b) <= n+m {
		return 0, 0, nil, 0, corrupt
	}
	rest := b[n+m+1:]
	switch b[n+m] {
	case 0:
		return int(i), int(f), rest, len(rest), nil
	case 1:
		s, k := binary.Uvarint(rest)
		if k > 0 && k == len(rest) && s <= math.MaxInt {
			return int(i), int(f), nil, int(s), nil
		}
	}
	return 0, 0, nil, 0, corrupt
}

// indexed frames a partial result with its chunk's index, so that partial
// results are merged in input order whatever order they arrive in.
func indexed(index int, data []byte) []byte {
	return append(binary.AppendUvarint(nil, uint64(index)), data...)
}

func parseIndexed(b []byte) (int, []byte, error) {
	i, n := binary.Uvarint(b)
	if n <= 0 || i > math.MaxInt32 {
		return 0, nil, errors.New("dist: corrupt partial result")
	}
	return int(i), b[n:], nil
}

// workerCtx returns the context for the user's functions: Beam's (it
// carries the metrics), cancelled too when the driver's is, if the driver
// is this process.
func workerCtx(ctx context.Context, id string) (context.Context, *local, func()) {
	v, ok := locals.Load(id)
	if !ok {
		return ctx, nil, func() {}
	}
	st := v.(*local)
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(st.ctx, cancel)
	return ctx, st, func() { stop(); cancel() }
}

// chunkFn maps one chunk: for Map it writes the chunk's results to a file;
// for MapReduce it emits the chunk's fold, for MapReducePerKey each key's.
type chunkFn struct {
	Job, Fn, Merge, Dir, WriteTo string
	Kind, Chunks, Shard          int
	Observe                      bool // record the chunk's task for the driver's observer
}

// ProcessElement is Beam's entry point. It never fails the bundle (see
// run): a chunk's error is recorded for the driver, and the other chunks
// stop.
func (f *chunkFn) ProcessElement(ctx context.Context, elem []byte, emit func([]byte, []byte)) error {
	index, first, data, size, err := parseChunk(elem)
	if err != nil {
		return err
	}
	ctx, st, done := workerCtx(ctx, f.Job)
	defer done()
	if st == nil && failed(ctx, f.Dir) {
		return nil // another worker failed: skip the rest
	}
	if ctx.Err() != nil {
		return nil // cancelled, or another chunk failed in this process
	}
	err = f.process(ctx, st, index, first, data, size, emit)
	if err != nil {
		f.recordErr(ctx, index, first, err)
		if st != nil {
			st.fail()
		}
	}
	return nil
}

// failed reports whether a chunk of the job has recorded an error.
func failed(ctx context.Context, dir string) bool {
	fs, err := filesystem.New(ctx, dir)
	if err != nil {
		return false
	}
	defer fs.Close()
	names, err := fs.List(ctx, join(dir, "error-*"))
	return err == nil && len(names) > 0
}

func (f *chunkFn) process(ctx context.Context, st *local, index, first int, data []byte, size int, emit func([]byte, []byte)) (err error) {
	if st != nil {
		st.active.Add(1)
		defer st.active.Done()
		if st.observer != nil {
			t := diag.Task{ID: int64(index), Name: "chunk", Worker: f.Shard, Start: time.Now()}
			st.observer.TaskStart(t)
			defer func() {
				t.End, t.Err = time.Now(), err
				st.observer.TaskEnd(t)
			}()
		}
	} else if f.Observe {
		start := time.Now()
		defer func() { recordTask(ctx, f.Dir, index, f.Shard, start, time.Now(), err) }()
	}
	e, err := workerMap(f.Fn)
	if err != nil {
		return err
	}
	src := chunkSource{data: data, size: int64(size)}
	if data == nil {
		src.path = inName(f.Dir, index)
	}
	switch kind(f.Kind) {
	case kindMap:
		head, body, err := e.mapChunk(ctx, src, first)
		if err != nil {
			return err
		}
		if f.WriteTo != "" {
			lines, err := e.format(append(head, body...))
			if err != nil {
				return err
			}
			if err := writeFile(ctx, shardName(f.WriteTo, index, f.Chunks), []byte(joinLines(lines))); err != nil {
				return err
			}
			emit(nil, indexed(index, nil))
			return nil
		}
		if err := writeJobFile(ctx, partName(f.Dir, index), head, body); err != nil {
			return err
		}
		emit(nil, indexed(index, nil))
	case kindReduce:
		r, err := workerReduce(f.Merge)
		if err != nil {
			return err
		}
		acc, err := e.reduceChunk(ctx, src, first, r.fn)
		if err != nil {
			return err
		}
		emit(nil, indexed(index, acc))
	case kindPerKey:
		r, err := workerReduce(f.Merge)
		if err != nil {
			return err
		}
		keys, accs, err := e.perKeyChunk(ctx, src, first, r.fn)
		if err != nil {
			return err
		}
		for i := range keys {
			emit(keys[i], indexed(index, accs[i]))
		}
	}
	return nil
}

// recordErr leaves the error where the driver will look for it: errors
// cross process boundaries as files, in the job's directory, because a
// runner reports a failed bundle in its own words.
func (f *chunkFn) recordErr(ctx context.Context, index, first int, err error) {
	var ie *ItemError
	if !errors.As(err, &ie) {
		if ctx.Err() != nil {
			return // cancelled: the driver returns ctx.Err()
		}
		ie = &ItemError{Func: f.Fn, Index: first, Msg: err.Error()}
	}
	if data, err := encode(*ie); err == nil {
		writeJobFile(context.Background(), join(f.Dir, fmt.Sprintf("error-%06d", index)), data)
	}
}

func shardName(prefix string, i, n int) string { return fmt.Sprintf("%s-%05d-of-%05d", prefix, i, n) }

func joinLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// sortedParts collects a group's indexed partial results in input order.
func sortedParts(vals func(*[]byte) bool) ([][]byte, error) {
	type part struct {
		i int
		b []byte
	}
	var parts []part
	var v []byte
	for vals(&v) {
		i, b, err := parseIndexed(v)
		if err != nil {
			return nil, err
		}
		parts = append(parts, part{i, slices.Clone(b)})
	}
	slices.SortFunc(parts, func(a, b part) int { return a.i - b.i })
	out := make([][]byte, len(parts))
	for i, p := range parts {
		out[i] = p.b
	}
	return out, nil
}

// mergeFn merges the values of one key for MapReducePerKey and emits the
// pair under one key, for collectFn.
type mergeFn struct {
	Job, Fn, Merge, Dir string
}

// ProcessElement is Beam's entry point.
func (f *mergeFn) ProcessElement(ctx context.Context, k []byte, vals func(*[]byte) bool, emit func([]byte, []byte)) error {
	r, err := workerReduce(f.Merge)
	if err != nil {
		return err
	}
	parts, err := sortedParts(vals)
	if err != nil {
		return err
	}
	acc, err := r.merge(parts)
	if err != nil {
		return err
	}
	pair, err := encode([2][]byte{slices.Clone(k), acc})
	if err != nil {
		return err
	}
	emit(nil, indexed(0, pair))
	return nil
}

// collectFn writes the final result: the fold of all chunks (MapReduce) or
// all merged pairs (MapReducePerKey).
type collectFn struct {
	Job, Fn, Merge, Dir, WriteTo string
	Kind                         int
}

// ProcessElement is Beam's entry point.
func (f *collectFn) ProcessElement(ctx context.Context, _ []byte, vals func(*[]byte) bool) error {
	if kind(f.Kind) == kindMap {
		return nil // the chunks wrote the results
	}
	if failed(ctx, f.Dir) {
		return nil // some chunk failed: there is no result
	}
	parts, err := sortedParts(vals)
	if err != nil {
		return err
	}
	var out []byte
	var text string
	switch kind(f.Kind) {
	case kindReduce:
		r, err := workerReduce(f.Merge)
		if err != nil {
			return err
		}
		if out, err = r.merge(parts); err != nil {
			return err
		}
		if f.WriteTo != "" {
			e, err := workerMap(f.Fn)
			if err != nil {
				return err
			}
			line, err := e.formatOne(out)
			if err != nil {
				return err
			}
			lines := []string{line}
			text = joinLines(lines)
		}
	case kindPerKey:
		pairs := make([][2][]byte, len(parts))
		for i, p := range parts {
			if err := decode(p, &pairs[i]); err != nil {
				return err
			}
		}
		if f.WriteTo != "" {
			e, err := workerMap(f.Fn)
			if err != nil {
				return err
			}
			lines := make([]string, len(pairs))
			for i, p := range pairs {
				if lines[i], err = e.formatKey(p[0], p[1]); err != nil {
					return err
				}
			}
			sort.Strings(lines)
			text = joinLines(lines)
		}
		if out, err = encode(pairs); err != nil {
			return err
		}
	}
	if f.WriteTo != "" {
		return writeFile(ctx, shardName(f.WriteTo, 0, 1), []byte(text))
	}
	return writeJobFile(ctx, join(f.Dir, "result"), out)
}
