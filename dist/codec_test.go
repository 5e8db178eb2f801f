package dist

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"io"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"
)

type padded struct {
	A int8
	B int64
	C bool
	D float32
	E [3]uint16
}

type nested struct {
	P  padded
	Ps [2]padded
	Z  complex64
	W  complex128
	U  uint
	I  int
}

type point struct{ X, Y float64 }

type swapped struct{ Y, X float64 }

type withString struct {
	N    int
	Name string
}

type empty struct{}

// celsius has its own encoding: dist must use it, as gob does.
type celsius float64

func (c celsius) MarshalBinary() ([]byte, error) { return []byte(time.Duration(c).String()), nil }
func (c *celsius) UnmarshalBinary(b []byte) error {
	d, err := time.ParseDuration(string(b))
	*c = celsius(d)
	return err
}

// roundTrip encodes v, checks the frame's kind and decodes it back.
func roundTrip[T any](t *testing.T, v T, raw bool) {
	t.Helper()
	b, err := encode(v)
	if err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	if got := b[0] == tagRaw; got != raw {
		t.Errorf("%T: raw frame %v, want %v", v, got, raw)
	}
	var back T
	if err := decode(b, &back); err != nil {
		t.Fatalf("decode %T: %v", v, err)
	}
	if !sameValue(v, back) {
		t.Errorf("%T: round trip gave %v, want %v", v, back, v)
	}
	// The same frame in two parts, and read from a stream (a chunk's
	// file) rather than from memory.
	head, body, err := encodeParts(v)
	if err != nil || !bytes.Equal(append(head, body...), b) {
		t.Errorf("%T: encodeParts gave %x + %x, %v; encode %x", v, head, body, err, b)
	}
	var streamed T
	if err := readRaw(bytes.NewReader(b), int64(len(b)), &streamed); err != nil || !sameValue(v, streamed) {
		t.Errorf("%T: readRaw gave %v, %v; want %v", v, streamed, err, v)
	}
}

// sameValue is reflect.DeepEqual, except that all empty slices are equal.
func sameValue(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Kind() == reflect.Slice && va.Len() == 0 && vb.Len() == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

func TestCodecRoundTrip(t *testing.T) {
	p := padded{A: -3, B: math.MinInt64, C: true, D: -1.5, E: [3]uint16{1, 65535, 7}}
	tests := []struct {
		name string
		f    func(t *testing.T)
	}{
		{"bool", func(t *testing.T) { roundTrip(t, []bool{true, false, true}, true) }},
		{"int", func(t *testing.T) { roundTrip(t, []int{0, -1, math.MaxInt, math.MinInt}, true) }},
		{"int8", func(t *testing.T) { roundTrip(t, []int8{-128, 127, 0}, true) }},
		{"int16", func(t *testing.T) { roundTrip(t, []int16{-32768, 32767}, true) }},
		{"int32", func(t *testing.T) { roundTrip(t, []int32{math.MinInt32, math.MaxInt32}, true) }},
		{"int64", func(t *testing.T) { roundTrip(t, []int64{math.MinInt64, math.MaxInt64}, true) }},
		{"uint", func(t *testing.T) { roundTrip(t, []uint{0, math.MaxUint}, true) }},
		{"uint8", func(t *testing.T) { roundTrip(t, []byte("bytes"), true) }},
		{"uint16", func(t *testing.T) { roundTrip(t, []uint16{65535}, true) }},
		{"uint32", func(t *testing.T) { roundTrip(t, []uint32{math.MaxUint32}, true) }},
		{"uint64", func(t *testing.T) { roundTrip(t, []uint64{math.MaxUint64, 1}, true) }},
		{"float32", func(t *testing.T) { roundTrip(t, []float32{math.MaxFloat32, -0.25, float32(math.Inf(-1))}, true) }},
		{"float64", func(t *testing.T) { roundTrip(t, []float64{math.SmallestNonzeroFloat64, math.Pi, math.Inf(1)}, true) }},
		{"complex64", func(t *testing.T) { roundTrip(t, []complex64{complex(1, -2)}, true) }},
		{"complex128", func(t *testing.T) { roundTrip(t, []complex128{complex(math.Pi, math.E)}, true) }},
		{"array", func(t *testing.T) { roundTrip(t, [][4]float64{{1, 2, 3, 4}, {5, 6, 7, 8}}, true) }},
		{"struct", func(t *testing.T) { roundTrip(t, []point{{1, 2}, {3, 4}}, true) }},
		{"padded struct", func(t *testing.T) { roundTrip(t, []padded{p, {}, p}, true) }},
		{"nested struct", func(t *testing.T) {
			roundTrip(t, []nested{{P: p, Ps: [2]padded{p, {A: 1}}, Z: 1i, W: -2i, U: 9, I: -9}}, true)
		}},
		{"empty struct", func(t *testing.T) { roundTrip(t, []empty{{}, {}, {}}, true) }},
		{"empty slice", func(t *testing.T) { roundTrip(t, []int{}, true) }},
		{"nil slice", func(t *testing.T) { roundTrip(t, []point(nil), true) }},
		{"one int", func(t *testing.T) { roundTrip(t, 42, true) }},
		{"one struct", func(t *testing.T) { roundTrip(t, p, true) }},
		{"one array", func(t *testing.T) { roundTrip(t, [2]bool{true, false}, true) }},
		{"named slice", func(t *testing.T) { roundTrip(t, namedInts{1, 2, 3}, true) }},
		{"gob: string", func(t *testing.T) { roundTrip(t, []string{"a", "b"}, false) }},
		{"gob: struct with string", func(t *testing.T) { roundTrip(t, []withString{{1, "x"}}, false) }},
		{"gob: slices of slices", func(t *testing.T) { roundTrip(t, [][]int{{1}, {2, 3}}, false) }},
		{"gob: map", func(t *testing.T) { roundTrip(t, map[string]int{"a": 1}, false) }},
		{"gob: pointer", func(t *testing.T) { x := 3; roundTrip(t, []*int{&x}, false) }},
		{"gob: own encoding", func(t *testing.T) { roundTrip(t, []celsius{1.5e9, 2}, false) }},
		{"gob: error", func(t *testing.T) { roundTrip(t, ItemError{Func: "f", Index: 3, Msg: "m"}, false) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.f)
	}
}

type namedInts []int

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func gobEncodeTo(w io.Writer, v any) error { return gob.NewEncoder(w).Encode(v) }

// Padding goes out as zeros, whatever the memory held, so that equal
// values have equal frames: MapReducePerKey groups keys by their bytes.
func TestCodecZeroesPadding(t *testing.T) {
	a := []padded{{A: 1, B: 2, C: true, D: 3}, {A: 4}}
	b := []padded{{A: 1, B: 2, C: true, D: 3}, {A: 4}}
	for i := range b { // garbage in b's padding: after A (7 bytes), after C (3 bytes), after E (2 bytes)
		base := unsafe.Pointer(&b[i])
		for _, off := range []uintptr{1, 7, 17, 19, 30, 31} {
			*(*byte)(unsafe.Add(base, off)) = 0xAB
		}
	}
	if unsafe.Sizeof(padded{}) != 32 {
		t.Skipf("padded is %d bytes on this machine", unsafe.Sizeof(padded{}))
	}
	ea, _ := encode(a)
	eb, _ := encode(b)
	if !bytes.Equal(ea, eb) {
		t.Errorf("equal values, different frames:\n%x\n%x", ea, eb)
	}
	l := layoutOf(reflect.TypeFor[[]padded]())
	want := []span{{1, 7}, {17, 3}, {30, 2}}
	if !reflect.DeepEqual(l.pads, want) {
		t.Errorf("padding of padded: %v, want %v", l.pads, want)
	}
}

func TestCodecLayoutChoice(t *testing.T) {
	tests := []struct {
		typ reflect.Type
		raw bool
	}{
		{reflect.TypeFor[[]int](), true},
		{reflect.TypeFor[[][1000]padded](), false}, // too many padding ranges
		{reflect.TypeFor[[][1 << 20]byte](), true}, // one range, however long
		{reflect.TypeFor[[]struct{ a int }](), false},
		{reflect.TypeFor[[]uintptr](), false},
		{reflect.TypeFor[[]time.Duration](), true},
		{reflect.TypeFor[[]time.Time](), false},
		{reflect.TypeFor[string](), false},
		{reflect.TypeFor[[]any](), false},
	}
	for _, tt := range tests {
		if got := layoutOf(tt.typ).ok; got != tt.raw {
			t.Errorf("%v: raw %v, want %v", tt.typ, got, tt.raw)
		}
	}
}

// A frame that does not fit the reader's type is an error naming the
// difference, never wrong numbers.
func TestCodecMismatch(t *testing.T) {
	ints, _ := encode([]int64{1, 2, 3})
	int32s, _ := encode([]int32{1, 2})
	pts, _ := encode([]point{{1, 2}})
	one, _ := encode(int64(7))
	bools, _ := encode([]bool{true, false})
	badBool := bytes.Clone(bools)
	badBool[len(badBool)-1] = 2
	badVersion := bytes.Clone(ints)
	badVersion[1] = 9
	badOrder := bytes.Clone(ints)
	badOrder[2] = 'B'
	hugeCount := append(bytes.Clone(ints[:12]), binary.AppendUvarint(nil, 1<<62)...)
	hugeCount = append(hugeCount, ints[13:]...)
	check := func(name string, err error, want string) {
		t.Helper()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, want)
		}
	}
	var f32 []float32
	check("int32 as float32", decode(int32s, &f32), "different layout")
	var i32 []int32
	check("int64 as int32", decode(ints, &i32), "8-byte elements, this binary's are 4 bytes")
	var sw []swapped
	check("fields swapped", decode(pts, &sw), "different layout")
	var strs []string
	check("raw as gob type", decode(ints, &strs), "carries []string with gob")
	var i64s []int64
	check("value as slice", decode(one, &i64s), "different layout")
	var i64 int64
	check("slice as value", decode(ints, &i64), "different layout")
	var bs []bool
	check("bool 2", decode(badBool, &bs), "a bool of value 2")
	check("version", decode(badVersion, &i64s), "version 9")
	check("byte order", decode(badOrder, &i64s), "byte order")
	check("truncated", decode(ints[:len(ints)-1], &i64s), "corrupt raw frame: 3 elements of 8 bytes in 23 bytes")
	check("huge count", decode(hugeCount, &i64s), "corrupt raw frame")
	check("empty", decode(nil, &i64s), "empty frame")
	check("unknown tag", decode([]byte{0x0c, 1, 2}, &i64s), "not a dist frame (first byte 0x0c)")
	check("gob garbage", decode([]byte{tagGob, 1, 2}, &i64s), "dist: decoding []int64")

	// Read from a stream: the same errors, and nothing left in *v.
	var f32s = []float32{9}
	check("stream: int32 as float32", readRaw(bytes.NewReader(int32s), int64(len(int32s)), &f32s), "different layout")
	if f32s != nil {
		t.Errorf("stream: int32 as float32 left %v", f32s)
	}
	bs = []bool{true}
	check("stream: bool 2", readRaw(bytes.NewReader(badBool), int64(len(badBool)), &bs), "a bool of value 2")
	if bs != nil {
		t.Errorf("stream: bool 2 left %v", bs)
	}
	check("stream: short", readRaw(bytes.NewReader(ints[:20]), int64(len(ints)), &i64s), "unexpected EOF")
	check("stream: size stated too small", readRaw(bytes.NewReader(ints), int64(len(ints)-8), &i64s), "corrupt raw frame: 3 elements of 8 bytes in 16 bytes")
	check("stream: empty", readRaw(bytes.NewReader(nil), 0, &i64s), "empty frame")

	// A gob frame of a type that has a raw layout is still read: a
	// big-endian driver writes gob.
	var b bytes.Buffer
	b.WriteByte(tagGob)
	v := []int64{5, 6}
	if err := gobEncodeTo(&b, &v); err != nil {
		t.Fatal(err)
	}
	if err := decode(b.Bytes(), &i64s); err != nil || !reflect.DeepEqual(i64s, v) {
		t.Errorf("gob frame of []int64: %v, %v", i64s, err)
	}
}

// The layout's fingerprint names fields, kinds, sizes and offsets.
func TestCodecFingerprint(t *testing.T) {
	l := layoutOf(reflect.TypeFor[[]padded]())
	want := "[]{A int8/1 @0;B int64/8 @8;C bool @16;D float32/4 @20;E [3]uint16/2 @24;} size 32"
	if unsafe.Sizeof(uintptr(0)) == 8 && l.desc != want {
		t.Errorf("layout of []padded:\n%s\nwant\n%s", l.desc, want)
	}
	if layoutOf(reflect.TypeFor[[]point]()).fp == layoutOf(reflect.TypeFor[[]swapped]()).fp {
		t.Error("point and swapped have the same fingerprint")
	}
}

// FuzzDecode feeds frames, valid and not, to the decoders of the types a
// chunk or result can have: each must return an error or values whose
// frame decodes the same again, and never panic.
func FuzzDecode(f *testing.F) {
	seeds := [][]byte{must(encode([]int{1, 2, 3})), must(encode([]padded{{A: 1, C: true}})), must(encode([]bool{true})),
		must(encode(int64(3))), must(encode([]string{"x"})), must(encode([]empty{{}}))}
	for _, b := range seeds {
		f.Add(b)
	}
	f.Add([]byte{tagRaw, rawVersion, rawLittle, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzStream[[]int](t, b)
		fuzzStream[[]padded](t, b)
		fuzzStream[[]bool](t, b)
		fuzzOne[[]int](t, b)
		fuzzOne[[]padded](t, b)
		fuzzOne[[]bool](t, b)
		fuzzOne[int64](t, b)
		fuzzOne[[]string](t, b)
		fuzzOne[[]empty](t, b)
		if _, err := parseRawHeader(b); err == nil && len(b) > 0 && b[0] != tagRaw {
			t.Errorf("parseRawHeader accepted a frame of tag %#02x", b[0])
		}
	})
}

// fuzzStream checks that reading frame b from a stream agrees with
// decoding it from memory.
func fuzzStream[T any](t *testing.T, b []byte) {
	var mem, str T
	errMem := decode(b, &mem)
	errStr := readRaw(bytes.NewReader(b), int64(len(b)), &str)
	if (errMem == nil) != (errStr == nil) {
		t.Fatalf("%T: frame %x: decode error %v, readRaw error %v", mem, b, errMem, errStr)
	}
	// Compared by their frames, bit for bit: a NaN is not equal to itself.
	fm, _ := encode(mem)
	fs, _ := encode(str)
	if errMem == nil && !bytes.Equal(fm, fs) {
		t.Fatalf("%T: frame %x: decode %v, readRaw %v", mem, b, mem, str)
	}
}

func fuzzOne[T any](t *testing.T, b []byte) {
	var v T
	if decode(b, &v) != nil {
		return
	}
	again, err := encode(v)
	if err != nil {
		return // gob may decode what it cannot encode again
	}
	var w T
	if err := decode(again, &w); err != nil {
		t.Fatalf("%T: re-encoded frame does not decode: %v", v, err)
	}
	if b[0] == tagRaw {
		// Raw: the data are the bytes, so the same frame comes back,
		// except for padding, which goes out as zeros.
		if layoutOf(reflect.TypeFor[T]()).pads == nil && !bytes.Equal(again, b) {
			t.Fatalf("%T: frame %x re-encoded as %x", v, b, again)
		}
	}
}

// FuzzChunkFrames feeds the parsers of chunk elements and of indexed
// partial results, which read what other processes wrote.
func FuzzChunkFrames(f *testing.F) {
	f.Add(chunkElem(3, 100, []byte{tagRaw, 1, 2}, 3))
	f.Add(chunkElem(0, 0, nil, 1<<20))
	f.Add(indexed(7, []byte("acc")))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		if index, first, data, size, err := parseChunk(b); err == nil {
			if index < 0 || first < 0 || size < 0 || (data != nil && size != len(data)) {
				t.Fatalf("parseChunk(%x): index %d, first %d, size %d, %d bytes", b, index, first, size, len(data))
			}
			again := chunkElem(index, first, data, size)
			if i2, f2, d2, s2, err := parseChunk(again); err != nil || i2 != index || f2 != first || s2 != size || !bytes.Equal(d2, data) || (d2 == nil) != (data == nil) {
				t.Fatalf("parseChunk(%x) = %d %d %x %d; again: %d %d %x %d %v", b, index, first, data, size, i2, f2, d2, s2, err)
			}
		}
		if index, data, err := parseIndexed(b); err == nil {
			if index < 0 {
				t.Fatalf("parseIndexed(%x): negative index %d", b, index)
			}
			if i2, d2, err := parseIndexed(indexed(index, data)); err != nil || i2 != index || !bytes.Equal(d2, data) {
				t.Fatalf("parseIndexed(%x) = %d %x; again: %d %x %v", b, index, data, i2, d2, err)
			}
		}
	})
}

// A chunk's file is read straight into the items; a file whose size is not
// the one the chunk element states is an error.
func TestDecodeChunkFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	items := []point{{1, 2}, {3, 4}, {5, 6}}
	head, body, err := encodeParts(items)
	if err != nil || body == nil {
		t.Fatalf("encodeParts: %x %x %v", head, body, err)
	}
	path := filepath.Join(dir, "in")
	if err := writeFile(ctx, path, head, body); err != nil {
		t.Fatal(err)
	}
	size := int64(len(head) + len(body))
	var got []point
	if err := decodeChunk(ctx, chunkSource{path: path, size: size}, &got); err != nil || !reflect.DeepEqual(got, items) {
		t.Errorf("decodeChunk: %v, %v", got, err)
	}
	for _, tt := range []struct {
		size int64
		want string
	}{
		{size - 1, "corrupt raw frame"},
		{size + 1, "corrupt raw frame"},
	} {
		if err := decodeChunk(ctx, chunkSource{path: path, size: tt.size}, &got); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("size %d of %d: error %v, want %q", tt.size, size, err, tt.want)
		}
	}
	if err := writeFile(ctx, path, head, body, []byte("extra")); err != nil {
		t.Fatal(err)
	}
	if err := decodeChunk(ctx, chunkSource{path: path, size: size}, &got); err == nil || !strings.Contains(err.Error(), "longer than its") {
		t.Errorf("longer file: error %v", err)
	}
	var fromMem []point
	if err := decodeChunk(ctx, chunkSource{data: append(head, body...)}, &fromMem); err != nil || !reflect.DeepEqual(fromMem, items) {
		t.Errorf("decodeChunk in memory: %v, %v", fromMem, err)
	}
}

func bumpPadded(ctx context.Context, p padded) (padded, error) {
	p.B++
	p.C = !p.C
	p.E[2] = uint16(p.A)
	return p, nil
}

func mergePadded(a, b padded) padded {
	return padded{A: a.A ^ b.A, B: a.B + b.B, C: a.C != b.C, D: a.D + b.D, E: [3]uint16{a.E[0] + b.E[0], a.E[1], b.E[2]}}
}

func classOf(ctx context.Context, p padded, emit func(padded, int)) error {
	emit(padded{A: p.A % 3, C: p.B%2 == 0}, 1)
	return nil
}

func init() {
	RegisterMap(bumpPadded)
	RegisterReduce(mergePadded)
	RegisterMapPerKey(classOf)
}

// Items, results and keys with padding and bools, through prism: chunks
// in the pipeline (a few items) and in files (thousands), and keys grouped
// by their bytes.
func TestRawEndToEnd(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{5, 3000} {
		items := make([]padded, n)
		for i := range items {
			items[i] = padded{A: int8(i), B: int64(i) << 33, C: i%3 == 0, D: float32(i) / 4, E: [3]uint16{uint16(i), 7, 0}}
		}
		got, err := Map(ctx, items, bumpPadded)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]padded, n)
		for i, p := range items {
			want[i], _ = bumpPadded(ctx, p)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Map of %d padded items: results differ", n)
		}
		fold, err := MapReduce(ctx, items, bumpPadded, mergePadded, ChunkSize(64))
		if err != nil {
			t.Fatal(err)
		}
		wantFold := want[0]
		for _, p := range want[1:] {
			wantFold = mergePadded(wantFold, p)
		}
		if fold != wantFold {
			t.Errorf("MapReduce of %d padded items: %+v, want %+v", n, fold, wantFold)
		}
		classes, err := MapReducePerKey(ctx, items, classOf, add, ChunkSize(64))
		if err != nil {
			t.Fatal(err)
		}
		wantClasses := map[padded]int{}
		for _, p := range items {
			classOf(ctx, p, func(k padded, v int) { wantClasses[k] += v })
		}
		if !reflect.DeepEqual(classes, wantClasses) {
			t.Errorf("MapReducePerKey of %d padded items: %v, want %v", n, classes, wantClasses)
		}
	}
}
