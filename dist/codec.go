package dist

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"hash/fnv"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// Items, results and accumulators travel between the driver and the
// workers as frames. A frame's first byte says how the rest is encoded:
//
//   - 'r', raw: the values' memory, for a value or a slice of values whose
//     type has a fixed layout without pointers (bool, sized and plain ints
//     and uints, floats, complex numbers, and arrays and structs of those).
//     Copying memory costs a fraction of a nanosecond per byte where gob
//     costs a few nanoseconds per number, which made gob the largest part of
//     dist's cost per element. The header lets the reader check that it
//     lays the type out the same way before it copies a byte:
//
//     'r' version 'L' uvarint(element size) fingerprint[8] uvarint(count) data
//
//     'L' says little-endian (only little-endian machines write raw
//     frames), and the fingerprint is a hash of the layout: every field's
//     name, kind, size and offset, array lengths, and whether the frame
//     holds a slice or one value. Padding bytes are written as zeros, so
//     that equal values have equal frames (MapReducePerKey groups keys by
//     their bytes), and bools are checked to be 0 or 1 when read.
//
//   - 'g', gob: encoding/gob, for every other type (strings, maps,
//     pointers, slices of slices, types with their own GobEncode or
//     MarshalBinary, ...).
//
// A frame that does not match the reader's type (another build of the
// program, a 32-bit worker, a big-endian machine, a corrupt file) is an
// error naming the difference, never wrong numbers.
const (
	tagRaw     = 'r'
	tagGob     = 'g'
	rawVersion = 1
	rawLittle  = 'L'
)

// rawHeaderMax bounds a raw frame's header: tag, version, endianness,
// two uvarints, the fingerprint.
const rawHeaderMax = 3 + 2*binary.MaxVarintLen64 + 8

// maxSpans bounds the padding and bool ranges of one element that the raw
// encoding handles; a type with more (a long array of padded structs) is
// carried by gob, for which fixing them up would cost more than it saves.
const maxSpans = 64

// littleEndian reports whether this machine stores numbers as raw frames
// do.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// span is a range of bytes within one element.
type span struct{ off, n uintptr }

// rawLayout is how the raw encoding lays out a type: for a slice type, the
// layout of its elements.
type rawLayout struct {
	ok    bool    // the type has a raw layout
	slice bool    // the type is a slice of elements with a raw layout
	size  uintptr // an element's size
	desc  string  // the layout's description, hashed into fp
	fp    uint64
	pads  []span // padding, zeroed when writing
	bools []span // bools, checked when reading
}

var layouts sync.Map // reflect.Type -> *rawLayout

// layoutOf returns the raw layout of t, computed once per type.
func layoutOf(t reflect.Type) *rawLayout {
	if l, ok := layouts.Load(t); ok {
		return l.(*rawLayout)
	}
	l := &rawLayout{}
	elem := t
	if t.Kind() == reflect.Slice && !hasOwnEncoding(t) {
		elem, l.slice = t.Elem(), true
	}
	if desc, pads, bools, ok := rawShape(elem); ok {
		l.ok, l.size, l.pads, l.bools = true, elem.Size(), pads, bools
		if l.slice {
			desc = "[]" + desc
		}
		l.desc = desc + " size " + strconv.FormatUint(uint64(l.size), 10)
		h := fnv.New64a()
		h.Write([]byte(l.desc))
		l.fp = h.Sum64()
	}
	v, _ := layouts.LoadOrStore(t, l)
	return v.(*rawLayout)
}

var (
	gobEncoderType    = reflect.TypeFor[gob.GobEncoder]()
	binaryMarshalType = reflect.TypeFor[encoding.BinaryMarshaler]()
)

// hasOwnEncoding reports whether gob would use t's own methods to encode
// it: then so must dist.
func hasOwnEncoding(t reflect.Type) bool {
	return t.Implements(gobEncoderType) || reflect.PointerTo(t).Implements(gobEncoderType) ||
		t.Implements(binaryMarshalType) || reflect.PointerTo(t).Implements(binaryMarshalType)
}

// rawShape describes the layout of t, with its padding and bool ranges,
// or reports that t has no raw layout.
func rawShape(t reflect.Type) (desc string, pads, bools []span, ok bool) {
	if hasOwnEncoding(t) {
		return "", nil, nil, false
	}
	switch k := t.Kind(); k {
	case reflect.Bool:
		return "bool", nil, []span{{0, 1}}, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return k.String() + "/" + strconv.FormatUint(uint64(t.Size()), 10), nil, nil, true
	case reflect.Array:
		ed, ep, eb, ok := rawShape(t.Elem())
		if !ok {
			return "", nil, nil, false
		}
		desc = "[" + strconv.Itoa(t.Len()) + "]" + ed
		if len(ep) == 0 && len(eb) == 0 {
			return desc, nil, nil, true
		}
		if t.Len()*(len(ep)+len(eb)) > 2*maxSpans {
			return "", nil, nil, false
		}
		es := t.Elem().Size()
		for i := range t.Len() {
			pads = addSpans(pads, ep, uintptr(i)*es)
			bools = addSpans(bools, eb, uintptr(i)*es)
		}
	case reflect.Struct:
		var b strings.Builder
		b.WriteByte('{')
		end := uintptr(0)
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				return "", nil, nil, false // gob would drop it: keep gob's semantics
			}
			fd, fp, fb, ok := rawShape(f.Type)
			if !ok {
				return "", nil, nil, false
			}
			if f.Offset > end {
				pads = addSpans(pads, []span{{end, f.Offset - end}}, 0)
			}
			pads = addSpans(pads, fp, f.Offset)
			bools = addSpans(bools, fb, f.Offset)
			end = f.Offset + f.Type.Size()
			fmt.Fprintf(&b, "%s %s @%d;", f.Name, fd, f.Offset)
		}
		if t.Size() > end {
			pads = addSpans(pads, []span{{end, t.Size() - end}}, 0)
		}
		b.WriteByte('}')
		desc = b.String()
	default:
		return "", nil, nil, false
	}
	if len(pads) > maxSpans || len(bools) > maxSpans {
		return "", nil, nil, false
	}
	return desc, pads, bools, true
}

// addSpans appends the spans of add, shifted by off, to s, merging
// adjacent ones.
func addSpans(s, add []span, off uintptr) []span {
	for _, a := range add {
		a.off += off
		if n := len(s); n > 0 && s[n-1].off+s[n-1].n == a.off {
			s[n-1].n += a.n
			continue
		}
		s = append(s, a)
	}
	return s
}

// encode encodes v as a frame: raw when its type has a raw layout (see
// above), gob otherwise.
func encode[T any](v T) ([]byte, error) {
	head, body, err := encodeParts(v)
	if err != nil || body == nil {
		return head, err
	}
	return append(head, body...), nil
}

// encodeParts encodes v as a frame in two parts, to be written one after
// the other. For a raw frame of a type without padding, body is v's own
// memory, not a copy: the driver writes a chunk's items from the caller's
// slice, and a worker its results from their slice. body is nil otherwise.
// v must not change until the parts are written.
func encodeParts[T any](v T) (head, body []byte, err error) {
	if littleEndian {
		if l := layoutOf(reflect.TypeFor[T]()); l.ok {
			p, n := rawMemory(l, &v)
			size := int(l.size)
			if n == 0 || size == 0 {
				return rawFrameHeader(l, n, 0), nil, nil
			}
			mem := unsafe.Slice((*byte)(p), n*size)
			if len(l.pads) == 0 {
				return rawFrameHeader(l, n, 0), mem, nil
			}
			head = rawFrameHeader(l, n, len(mem))
			data := append(head, mem...)
			body := data[len(head):]
			for e := 0; e < len(body); e += size {
				for _, s := range l.pads {
					clear(body[e+int(s.off) : e+int(s.off+s.n)])
				}
			}
			return data, nil, nil
		}
	}
	var b bytes.Buffer
	b.WriteByte(tagGob)
	if err := gob.NewEncoder(&b).Encode(&v); err != nil {
		return nil, nil, fmt.Errorf("dist: encoding %T: %v", v, err)
	}
	return b.Bytes(), nil, nil
}

// rawMemory returns the address and number of the elements of *v, whose
// type has layout l: a slice's, or *v itself.
func rawMemory[T any](l *rawLayout, v *T) (unsafe.Pointer, int) {
	if l.slice {
		s := reflect.ValueOf(v).Elem()
		return s.UnsafePointer(), s.Len()
	}
	return unsafe.Pointer(v), 1
}

// rawFrameHeader returns the header of a raw frame of n elements of layout
// l, with room for dataLen more bytes.
func rawFrameHeader(l *rawLayout, n, dataLen int) []byte {
	out := make([]byte, 0, rawHeaderMax+dataLen)
	out = append(out, tagRaw, rawVersion, rawLittle)
	out = binary.AppendUvarint(out, uint64(l.size))
	out = binary.LittleEndian.AppendUint64(out, l.fp)
	return binary.AppendUvarint(out, uint64(n))
}

// decode decodes a frame written by encode into *v.
func decode[T any](data []byte, v *T) error {
	if len(data) == 0 {
		return fmt.Errorf("dist: decoding %T: empty frame", *v)
	}
	switch data[0] {
	case tagGob:
		if err := gob.NewDecoder(bytes.NewReader(data[1:])).Decode(v); err != nil {
			return fmt.Errorf("dist: decoding %T: %v", *v, err)
		}
		return nil
	case tagRaw:
		if err := decodeRaw(data, v); err != nil {
			return fmt.Errorf("dist: decoding %T: %v", *v, err)
		}
		return nil
	}
	return fmt.Errorf("dist: decoding %T: not a dist frame (first byte %#02x)", *v, data[0])
}

// rawHeader is a raw frame's header, parsed.
type rawHeader struct {
	size, count uint64
	fp          uint64
	data        []byte
}

// parseRawHeader parses and checks the header of a raw frame, whatever it
// holds.
func parseRawHeader(b []byte) (rawHeader, error) {
	h, n, err := parseRawPrefix(b, int64(len(b)))
	if err != nil {
		return h, err
	}
	h.data = b[n:]
	return h, nil
}

// parseRawPrefix parses the header at the start of b, the first bytes of a
// frame of total bytes, and returns it with its length. The header's count
// and element size must account for the frame's other bytes exactly.
func parseRawPrefix(b []byte, total int64) (h rawHeader, n int, err error) {
	if len(b) < 3 || b[0] != tagRaw {
		return h, 0, fmt.Errorf("corrupt raw frame (%d bytes)", total)
	}
	if b[1] != rawVersion {
		return h, 0, fmt.Errorf("raw frame of version %d, this binary reads version %d", b[1], rawVersion)
	}
	if b[2] != rawLittle {
		return h, 0, fmt.Errorf("raw frame of unknown byte order %q", b[2])
	}
	n = 3
	var k int
	if h.size, k = binary.Uvarint(b[n:]); k <= 0 {
		return h, 0, fmt.Errorf("corrupt raw frame header")
	}
	n += k
	if len(b) < n+8 {
		return h, 0, fmt.Errorf("corrupt raw frame header")
	}
	h.fp = binary.LittleEndian.Uint64(b[n:])
	n += 8
	if h.count, k = binary.Uvarint(b[n:]); k <= 0 {
		return h, 0, fmt.Errorf("corrupt raw frame header")
	}
	n += k
	// The count must agree with the data's length; elements of size 0
	// have none, and a count beyond any chunk's is corrupt.
	dataLen := uint64(total - int64(n))
	if h.size == 0 {
		if dataLen != 0 || h.count > 1<<31-1 {
			return h, 0, fmt.Errorf("corrupt raw frame: %d elements of size 0 in %d bytes", h.count, dataLen)
		}
	} else if h.count > dataLen/h.size || h.count*h.size != dataLen {
		return h, 0, fmt.Errorf("corrupt raw frame: %d elements of %d bytes in %d bytes", h.count, h.size, dataLen)
	}
	return h, n, nil
}

// checkRaw reports whether a raw frame of header h can be read as a value
// of type t, of layout l.
func checkRaw(h rawHeader, t reflect.Type, l *rawLayout) error {
	switch {
	case !littleEndian:
		return fmt.Errorf("raw frame written by a little-endian machine, and this one is big-endian")
	case !l.ok:
		return fmt.Errorf("raw frame, but this binary carries %v with gob: the driver and the workers run different builds of the program", t)
	case h.size != uint64(l.size):
		return fmt.Errorf("raw frame of %d-byte elements, this binary's are %d bytes (a 32-bit and a 64-bit build, or different builds of the program)", h.size, l.size)
	case h.fp != l.fp:
		return fmt.Errorf("raw frame of a different layout (fingerprint %016x, this binary's %016x for %s): the driver and the workers run different builds of the program", h.fp, l.fp, l.desc)
	case !l.slice && h.count != 1:
		return fmt.Errorf("raw frame of %d values, want 1", h.count)
	}
	return nil
}

// checkBools reports a byte of a bool in data, elements of layout l, that
// is neither 0 nor 1: Go's bools hold nothing else.
func checkBools(l *rawLayout, data []byte) error {
	size := int(l.size)
	for _, s := range l.bools {
		for e := 0; e < len(data); e += size {
			for _, c := range data[e+int(s.off) : e+int(s.off+s.n)] {
				if c > 1 {
					return fmt.Errorf("corrupt raw frame: a bool of value %d", c)
				}
			}
		}
	}
	return nil
}

// rawTarget makes room for count elements in *v, of type t and layout l,
// and returns the bytes the frame's data go to.
func rawTarget[T any](t reflect.Type, l *rawLayout, count int, v *T) []byte {
	var p unsafe.Pointer
	if l.slice {
		s := reflect.MakeSlice(t, count, count)
		reflect.ValueOf(v).Elem().Set(s)
		p = s.UnsafePointer()
	} else {
		p = unsafe.Pointer(v)
	}
	return unsafe.Slice((*byte)(p), count*int(l.size))
}

// decodeRaw checks that the raw frame b has *v's layout and copies its
// data into *v.
func decodeRaw[T any](b []byte, v *T) error {
	h, err := parseRawHeader(b)
	if err != nil {
		return err
	}
	t := reflect.TypeFor[T]()
	l := layoutOf(t)
	if err := checkRaw(h, t, l); err != nil {
		return err
	}
	if err := checkBools(l, h.data); err != nil {
		return err
	}
	copy(rawTarget(t, l, int(h.count), v), h.data)
	return nil
}

// readRaw decodes the frame of total bytes that r holds into *v. A raw
// frame's data are read straight into *v's memory: no buffer holds them on
// the way, which saves a copy of every chunk a worker reads from a file.
func readRaw[T any](r io.Reader, total int64, v *T) error {
	head := make([]byte, min(total, rawHeaderMax))
	if _, err := io.ReadFull(r, head); err != nil {
		return fmt.Errorf("dist: decoding %T: reading the frame: %v", *v, err)
	}
	if len(head) == 0 || head[0] != tagRaw {
		// gob, or not a frame: read it whole for decode to judge.
		if total > maxPrealloc {
			return fmt.Errorf("dist: decoding %T: a frame of %d bytes", *v, total)
		}
		data := make([]byte, total)
		copy(data, head)
		if _, err := io.ReadFull(r, data[len(head):]); err != nil {
			return fmt.Errorf("dist: decoding %T: reading the frame: %v", *v, err)
		}
		return decode(data, v)
	}
	h, n, err := parseRawPrefix(head, total)
	if err == nil {
		t := reflect.TypeFor[T]()
		l := layoutOf(t)
		if err = checkRaw(h, t, l); err == nil {
			dst := rawTarget(t, l, int(h.count), v)
			k := copy(dst, head[n:])
			if _, err = io.ReadFull(r, dst[k:]); err == nil {
				err = checkBools(l, dst)
			}
		}
	}
	if err != nil {
		var zero T
		*v = zero
		return fmt.Errorf("dist: decoding %T: %v", *v, err)
	}
	return nil
}
