package dist

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"sync"
)

// Remote workers start a fresh copy of the program and receive, in the
// pipeline, only the names of the functions to call. So every function
// given to Map, MapReduce or MapReducePerKey must be found by name in that
// fresh copy: it is registered in an init function, as Beam requires of
// its DoFns, and it must be a top-level function (a closure's captured
// variables exist only in the driver).

// mapEntry is a registered element function with its types erased: the
// closures know T and R and do the decoding, calling and encoding.
type mapEntry struct {
	name string
	sig  string
	late bool  // registered after Init: workers will not know it
	err  error // the registration's mistake, if any
	// mapChunk applies the function to every item of an encoded chunk and
	// returns the encoded results ([]R), a frame in two parts (see
	// encodeParts).
	mapChunk func(ctx context.Context, src chunkSource, first int) (head, body []byte, err error)
	// reduceChunk maps every item and folds the results with merge, which
	// must be a func(R, R) R; it returns the encoded accumulator.
	reduceChunk func(ctx context.Context, src chunkSource, first int, merge any) ([]byte, error)
	// perKeyChunk runs an emitting function over the chunk, combines the
	// values of each key with merge, and returns the encoded keys and
	// accumulators in the order the keys were first emitted.
	perKeyChunk func(ctx context.Context, src chunkSource, first int, merge any) (keys, accs [][]byte, err error)
	// format turns an encoded result (Map, MapReduce) or an encoded key and
	// accumulator (MapReducePerKey) into one line of text, for WriteTo.
	format    func(data []byte) ([]string, error)
	formatOne func(data []byte) (string, error)
	formatKey func(key, acc []byte) (string, error)
}

// reduceEntry is a registered merge function with its type erased.
type reduceEntry struct {
	name  string
	sig   string
	late  bool
	err   error
	fn    any // the func(A, A) A itself, for mapEntry.reduceChunk
	merge func(parts [][]byte) ([]byte, error)
}

var registry = struct {
	sync.Mutex
	maps    map[string]*mapEntry
	reduces map[string]*reduceEntry
}{maps: map[string]*mapEntry{}, reduces: map[string]*reduceEntry{}}

// literalRE matches the names the compiler gives function literals
// (main.main.func1, main.init.func2.1, main.glob..func1) and method
// values (main.T.M-fm).
var literalRE = regexp.MustCompile(`\.func\d+(\.\d+)*$|-fm$`)

// funcName returns the linker's name of fn, or an error saying why workers
// could not find fn by that name.
func funcName(fn any) (string, error) {
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func || v.IsNil() {
		return "", fmt.Errorf("dist: register: %T is not a function", fn)
	}
	f := runtime.FuncForPC(v.Pointer())
	if f == nil {
		return "", fmt.Errorf("dist: register: cannot name function %T", fn)
	}
	name := f.Name()
	if literalRE.MatchString(name) {
		if strings.HasSuffix(name, "-fm") {
			return name, fmt.Errorf("dist: %s is a method value: a remote worker has no receiver to call it on; register a top-level function", strings.TrimSuffix(name, "-fm"))
		}
		return name, fmt.Errorf("dist: %s is a function literal (a closure): a remote worker runs a fresh copy of the program, where the variables it captures do not exist; declare it as a top-level function and register it in init", name)
	}
	return name, nil
}

// key identifies a registered function: its name and, because every
// instantiation of a generic function has the same name, its type.
func key(name string, fn any) string { return name + " " + reflect.TypeOf(fn).String() }

// noteRegisterErr keeps a registration mistake under the function's
// name, for the first Map, MapReduce or MapReducePerKey that uses the
// function to report before anything runs: Register functions run in init,
// where an error has nowhere to go.
func noteRegisterErr(fn any, name string, err error) {
	if name == "" {
		return // not a function at all: the call with it fails the same way
	}
	registry.Lock()
	defer registry.Unlock()
	k := key(name, fn)
	registry.maps[k] = &mapEntry{name: name, err: err}
	registry.reduces[k] = &reduceEntry{name: name, err: err}
}

// RegisterMap registers fn, an element function for Map and MapReduce, so
// that remote workers can find it by name. Call it from an init function,
// once per function, before dist.Init. fn must be a top-level function
// (not a closure or a method value), and its argument and result types
// must be encodable with encoding/gob (exported fields, no channels or
// functions): they travel between machines. A mistake is reported by the
// first Map or MapReduce, before anything runs.
func RegisterMap[T, R any](fn func(ctx context.Context, item T) (R, error)) {
	name, err := funcName(fn)
	if err == nil {
		err = checkGob[T](name, "argument")
	}
	if err == nil {
		err = checkGob[R](name, "result")
	}
	if err != nil {
		noteRegisterErr(fn, name, err)
		return
	}
	e := &mapEntry{name: name, sig: reflect.TypeOf(fn).String(), late: initialized.Load()}
	e.mapChunk = func(ctx context.Context, src chunkSource, first int) ([]byte, []byte, error) {
		var items []T
		if err := decodeChunk(ctx, src, &items); err != nil {
			return nil, nil, err
		}
		out, err := mapItems(ctx, name, first, items, fn)
		if err != nil {
			return nil, nil, err
		}
		return encodeParts(out)
	}
	e.reduceChunk = func(ctx context.Context, src chunkSource, first int, mergeAny any) ([]byte, error) {
		merge, ok := mergeAny.(func(R, R) R)
		if !ok {
			return nil, fmt.Errorf("dist: merge %T does not take the results of %s", mergeAny, name)
		}
		var items []T
		if err := decodeChunk(ctx, src, &items); err != nil {
			return nil, err
		}
		acc, err := foldItems(ctx, name, first, items, fn, merge)
		if err != nil {
			return nil, err
		}
		return encode(acc)
	}
	e.format = func(data []byte) ([]string, error) {
		var out []R
		if err := decode(data, &out); err != nil {
			return nil, err
		}
		lines := make([]string, len(out))
		for i, r := range out {
			lines[i] = fmt.Sprint(r)
		}
		return lines, nil
	}
	e.formatOne = func(data []byte) (string, error) {
		var r R
		if err := decode(data, &r); err != nil {
			return "", err
		}
		return fmt.Sprint(r), nil
	}
	registry.Lock()
	registry.maps[key(name, fn)] = e
	registry.Unlock()
}

// RegisterMapPerKey registers fn, an element function for MapReducePerKey:
// it calls emit(key, value) for each pair it finds in one item (the words
// of a line, say). The rules of RegisterMap apply, and K's encoding must
// be deterministic (no maps or pointers in keys), because equal keys are
// grouped by their encoded bytes.
func RegisterMapPerKey[T any, K comparable, A any](fn func(ctx context.Context, item T, emit func(K, A)) error) {
	name, err := funcName(fn)
	if err == nil {
		err = checkGob[T](name, "argument")
	}
	if err == nil {
		err = checkGob[K](name, "key")
	}
	if err == nil {
		err = checkGob[A](name, "value")
	}
	if err != nil {
		noteRegisterErr(fn, name, err)
		return
	}
	e := &mapEntry{name: name, sig: reflect.TypeOf(fn).String(), late: initialized.Load()}
	e.perKeyChunk = func(ctx context.Context, src chunkSource, first int, mergeAny any) (keys, accs [][]byte, err error) {
		merge, ok := mergeAny.(func(A, A) A)
		if !ok {
			return nil, nil, fmt.Errorf("dist: merge %T does not take the values of %s", mergeAny, name)
		}
		var items []T
		if err := decodeChunk(ctx, src, &items); err != nil {
			return nil, nil, err
		}
		// Combining within the chunk first (Beam's combiner lifting)
		// sends one value per key and chunk through the shuffle instead
		// of one per emitted pair.
		index := map[K]int{}
		var order []K
		var vals []A
		emit := func(k K, a A) {
			if i, ok := index[k]; ok {
				vals[i] = merge(vals[i], a)
				return
			}
			index[k] = len(order)
			order = append(order, k)
			vals = append(vals, a)
		}
		if err := each(ctx, name, first, len(items), func(i int) error { return fn(ctx, items[i], emit) }); err != nil {
			return nil, nil, err
		}
		for i, k := range order {
			kb, err := encode(k)
			if err != nil {
				return nil, nil, err
			}
			ab, err := encode(vals[i])
			if err != nil {
				return nil, nil, err
			}
			keys = append(keys, kb)
			accs = append(accs, ab)
		}
		return keys, accs, nil
	}
	e.formatKey = func(kb, ab []byte) (string, error) {
		var k K
		var a A
		if err := decode(kb, &k); err != nil {
			return "", err
		}
		if err := decode(ab, &a); err != nil {
			return "", err
		}
		return fmt.Sprintf("%v\t%v", k, a), nil
	}
	registry.Lock()
	registry.maps[key(name, fn)] = e
	registry.Unlock()
}

// RegisterReduce registers merge, the function that MapReduce and
// MapReducePerKey combine results with, under the rules of RegisterMap.
// merge must be associative; it need not be commutative, because results
// are merged in input order.
func RegisterReduce[A any](merge func(a, b A) A) {
	name, err := funcName(merge)
	if err == nil {
		err = checkGob[A](name, "argument")
	}
	if err != nil {
		noteRegisterErr(merge, name, err)
		return
	}
	e := &reduceEntry{name: name, sig: reflect.TypeOf(merge).String(), late: initialized.Load(), fn: merge}
	e.merge = func(parts [][]byte) ([]byte, error) {
		var acc A
		for i, p := range parts {
			var a A
			if err := decode(p, &a); err != nil {
				return nil, err
			}
			if i == 0 {
				acc = a
			} else {
				acc = merge(acc, a)
			}
		}
		return encode(acc)
	}
	registry.Lock()
	registry.reduces[key(name, merge)] = e
	registry.Unlock()
}

// lookupMap returns the entry of fn, or the error a user should see.
func lookupMap(fn any, register string) (*mapEntry, error) {
	name, err := funcName(fn)
	if err != nil {
		return nil, err
	}
	registry.Lock()
	e := registry.maps[key(name, fn)]
	registry.Unlock()
	if e == nil {
		return nil, fmt.Errorf("dist: %s is not registered: call dist.%s(%s) in an init function (remote workers find functions by name)", name, register, shortName(name))
	}
	if e.err != nil {
		return nil, e.err
	}
	if e.late {
		return nil, fmt.Errorf("dist: %s was registered after dist.Init: register it in an init function, so that workers, which run only init, know it too", name)
	}
	return e, nil
}

func lookupReduce(fn any) (*reduceEntry, error) {
	name, err := funcName(fn)
	if err != nil {
		return nil, err
	}
	registry.Lock()
	e := registry.reduces[key(name, fn)]
	registry.Unlock()
	if e == nil {
		return nil, fmt.Errorf("dist: %s is not registered: call dist.RegisterReduce(%s) in an init function (remote workers find functions by name)", name, shortName(name))
	}
	if e.err != nil {
		return nil, e.err
	}
	if e.late {
		return nil, fmt.Errorf("dist: %s was registered after dist.Init: register it in an init function, so that workers, which run only init, know it too", name)
	}
	return e, nil
}

// workerMap and workerReduce find entries by key on a worker.
func workerMap(k string) (*mapEntry, error) {
	registry.Lock()
	defer registry.Unlock()
	if e := registry.maps[k]; e != nil {
		return e, nil
	}
	return nil, fmt.Errorf("dist: worker: no function %s is registered in this binary (is the worker the same program as the driver?)", k)
}

func workerReduce(k string) (*reduceEntry, error) {
	registry.Lock()
	defer registry.Unlock()
	if e := registry.reduces[k]; e != nil {
		return e, nil
	}
	return nil, fmt.Errorf("dist: worker: no merge function %s is registered in this binary (is the worker the same program as the driver?)", k)
}

// shortName drops the package path: "example.com/m/pkg.square" -> "square".
func shortName(name string) string {
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.Index(name, "."); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// each calls body for the items 0..n-1 of a chunk whose first item has
// index first in the input, and names the function and the item's index
// in its error: a returned error, a panic (with the stack) or the
// context's end. The recover and the context check cost once per chunk
// and once per 256 items, not per item: for trivial functions they would
// cost more than the work. mapItems and foldItems are each's loop for Map
// and MapReduce, written out: without the call of body per item, a
// trivial item costs about half as much.
func each(ctx context.Context, name string, first, n int, body func(i int) error) (err error) {
	i := 0
	defer recoverItem(name, first, &i, &err)
	for ; i < n; i++ {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := body(i); err != nil {
			return &ItemError{Func: name, Index: first + i, Msg: err.Error()}
		}
	}
	return nil
}

// mapItems returns fn of every item, as each would call it.
func mapItems[T, R any](ctx context.Context, name string, first int, items []T, fn func(context.Context, T) (R, error)) (out []R, err error) {
	out = make([]R, len(items))
	i := 0
	defer recoverItem(name, first, &i, &err)
	for ; i < len(items); i++ {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		r, err := fn(ctx, items[i])
		if err != nil {
			return nil, &ItemError{Func: name, Index: first + i, Msg: err.Error()}
		}
		out[i] = r
	}
	return out, nil
}

// foldItems returns the fold with merge of fn of every item, as each would
// call it.
func foldItems[T, R any](ctx context.Context, name string, first int, items []T, fn func(context.Context, T) (R, error), merge func(R, R) R) (acc R, err error) {
	i := 0
	defer recoverItem(name, first, &i, &err)
	for ; i < len(items); i++ {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return acc, err
			}
		}
		r, err := fn(ctx, items[i])
		if err != nil {
			return acc, &ItemError{Func: name, Index: first + i, Msg: err.Error()}
		}
		if i == 0 {
			acc = r
		} else {
			acc = merge(acc, r)
		}
	}
	return acc, nil
}

// recoverItem, deferred, turns a panic of the item *i into the *ItemError
// *err, with the stack.
func recoverItem(name string, first int, i *int, err *error) {
	if v := recover(); v != nil {
		buf := make([]byte, 64<<10)
		buf = buf[:runtime.Stack(buf, false)]
		*err = &ItemError{Func: name, Index: first + *i, Msg: fmt.Sprintf("panic: %v", v), Panic: true, Stack: string(buf)}
	}
}

// checkGob reports whether values of T can travel between machines with
// encoding/gob without losing data: gob silently drops unexported struct
// fields and cannot encode functions or channels.
func checkGob[T any](fn, role string) error {
	t := reflect.TypeFor[T]()
	if err := gobbable(t, map[reflect.Type]bool{}); err != nil {
		return fmt.Errorf("dist: %s: %s type %v cannot travel to workers: %v", fn, role, t, err)
	}
	return nil
}

func gobbable(t reflect.Type, seen map[reflect.Type]bool) error {
	if seen[t] {
		return nil
	}
	seen[t] = true
	if hasOwnEncoding(t) {
		return nil
	}
	switch t.Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Uintptr:
		return fmt.Errorf("%v values cannot be encoded", t.Kind())
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return gobbable(t.Elem(), seen)
	case reflect.Map:
		if err := gobbable(t.Key(), seen); err != nil {
			return err
		}
		return gobbable(t.Elem(), seen)
	case reflect.Struct:
		exported := 0
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				return fmt.Errorf("field %s of %v is unexported and would be lost (export it, or implement gob.GobEncoder)", f.Name, t)
			}
			exported++
			if err := gobbable(f.Type, seen); err != nil {
				return err
			}
		}
		if exported == 0 && t.NumField() == 0 {
			return nil // struct{} is fine
		}
	}
	return nil
}
