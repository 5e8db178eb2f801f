package session

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
)

// A minimal reader for the pprof profile.proto format written by
// runtime/pprof: just what line attribution needs (samples, their
// locations' lines, and the functions' file names), which spares the module
// a dependency for about a hundred lines.

// cpuSample is one stack of a CPU profile: frames innermost first, with
// inlined calls expanded, and the number of samples.
type cpuSample struct {
	count  int64
	frames []frame
}

type frame struct {
	file string
	line int
}

// readCPUProfile parses a (gzipped) CPU profile.
func readCPUProfile(data []byte) ([]cpuSample, error) {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		data, err = io.ReadAll(zr)
		if err != nil {
			return nil, err
		}
	}
	type line struct{ fn, line uint64 }
	type rawSample struct {
		locs   []uint64
		values []int64
	}
	var (
		samples   []rawSample
		locLines  = map[uint64][]line{}
		funcFile  = map[uint64]uint64{}
		strs      []string
		err       error
		fields    func(b []byte, f func(num int, wire int, v uint64, b []byte) error) error
		packedU64 func(wire int, v uint64, b []byte, out *[]uint64) error
	)
	fields = func(b []byte, f func(num int, wire int, v uint64, b []byte) error) error {
		for len(b) > 0 {
			key, n := uvarint(b)
			if n <= 0 {
				return errors.New("bad varint")
			}
			b = b[n:]
			num, wire := int(key>>3), int(key&7)
			switch wire {
			case 0:
				v, n := uvarint(b)
				if n <= 0 {
					return errors.New("bad varint")
				}
				b = b[n:]
				if err := f(num, wire, v, nil); err != nil {
					return err
				}
			case 2:
				l, n := uvarint(b)
				if n <= 0 || uint64(len(b)-n) < l {
					return errors.New("bad length")
				}
				if err := f(num, wire, 0, b[n:n+int(l)]); err != nil {
					return err
				}
				b = b[n+int(l):]
			case 1:
				if len(b) < 8 {
					return errors.New("short fixed64")
				}
				b = b[8:]
			case 5:
				if len(b) < 4 {
					return errors.New("short fixed32")
				}
				b = b[4:]
			default:
				return fmt.Errorf("unsupported wire type %d", wire)
			}
		}
		return nil
	}
	packedU64 = func(wire int, v uint64, b []byte, out *[]uint64) error {
		if wire == 0 {
			*out = append(*out, v)
			return nil
		}
		for len(b) > 0 {
			x, n := uvarint(b)
			if n <= 0 {
				return errors.New("bad packed varint")
			}
			*out = append(*out, x)
			b = b[n:]
		}
		return nil
	}
	err = fields(data, func(num, wire int, v uint64, b []byte) error {
		switch num {
		case 2: // sample
			var s rawSample
			var vals []uint64
			err := fields(b, func(num, wire int, v uint64, b []byte) error {
				switch num {
				case 1:
					return packedU64(wire, v, b, &s.locs)
				case 2:
					return packedU64(wire, v, b, &vals)
				}
				return nil
			})
			for _, x := range vals {
				s.values = append(s.values, int64(x))
			}
			samples = append(samples, s)
			return err
		case 4: // location
			var id uint64
			var lines []line
			err := fields(b, func(num, wire int, v uint64, b []byte) error {
				switch num {
				case 1:
					id = v
				case 4:
					var l line
					err := fields(b, func(num, wire int, v uint64, b []byte) error {
						switch num {
						case 1:
							l.fn = v
						case 2:
							l.line = v
						}
						return nil
					})
					lines = append(lines, l)
					return err
				}
				return nil
			})
			locLines[id] = lines
			return err
		case 5: // function
			var id, file uint64
			err := fields(b, func(num, wire int, v uint64, b []byte) error {
				switch num {
				case 1:
					id = v
				case 4:
					file = v
				}
				return nil
			})
			funcFile[id] = file
			return err
		case 6: // string table
			strs = append(strs, string(b))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading CPU profile: %v", err)
	}
	str := func(i uint64) string {
		if i < uint64(len(strs)) {
			return strs[i]
		}
		return ""
	}
	out := make([]cpuSample, 0, len(samples))
	for _, s := range samples {
		cs := cpuSample{count: 1}
		if len(s.values) > 0 {
			cs.count = s.values[0]
		}
		for _, loc := range s.locs {
			// A location's lines list inlined calls innermost first.
			for _, l := range locLines[loc] {
				cs.frames = append(cs.frames, frame{file: str(funcFile[l.fn]), line: int(l.line)})
			}
		}
		out = append(out, cs)
	}
	return out, nil
}

func uvarint(b []byte) (uint64, int) {
	var x uint64
	var s uint
	for i, c := range b {
		if i == 10 {
			return 0, -1
		}
		if c < 0x80 {
			return x | uint64(c)<<s, i + 1
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, 0
}

// CPUProfileLines reads a CPU profile (as written by runtime/pprof) and
// returns, for the function spanning lines start..end of file, how many
// samples each of its lines got and their total, attributing each sample
// to the innermost frame in that range (so that callees count on the
// calling line and recursion counts once): pprof's cumulative time per
// line. The benchmark compares lprun's % Time with it.
func CPUProfileLines(data []byte, file string, start, end int) (map[int]int64, int64, error) {
	samples, err := readCPUProfile(data)
	if err != nil {
		return nil, 0, err
	}
	lines := map[int]int64{}
	var total int64
	for _, s := range samples {
		for _, fr := range s.frames {
			if fr.file == file && fr.line >= start && fr.line <= end {
				lines[fr.line] += s.count
				total += s.count
				break
			}
		}
	}
	return lines, total, nil
}
