package child

import (
	_speedup_bufio "bufio"
	_speedup_json "encoding/json"
	_speedup_fmt "fmt"
	_speedup_os "os"
	_speedup_runtime "runtime"
	_speedup_debug "runtime/debug"
	_ "unsafe" // for go:linkname
)

// The child's end of the protocol, shared by every harness: the request
// and reply pipes, the crash recorder and the panic recorder.

var (
	_speedup_in  *_speedup_bufio.Scanner
	_speedup_out *_speedup_json.Encoder
)

// _speedup_connect opens the request (fd 3) and reply (fd 4) pipes and
// points the runtime's crash report at fd 5 (runtime/debug.SetCrashOutput),
// so that the parent can say where a crash no recover catches happened (a
// fatal error of the runtime, a panic on a goroutine the user's code
// started). It reports false when the program was not started by speedup.
func _speedup_connect() bool {
	if _speedup_os.Getenv("SPEEDUP_CHILD") != "1" {
		return false
	}
	if _speedup_in != nil {
		return true
	}
	if _speedup_os.Getenv("SPEEDUP_CRASH_FD") == "5" {
		_speedup_debug.SetCrashOutput(_speedup_os.NewFile(5, "speedup-crash"), _speedup_debug.CrashOptions{})
	}
	for fd := 3; fd <= 5; fd++ {
		_speedup_cloexec(fd)
	}
	_speedup_in = _speedup_bufio.NewScanner(_speedup_os.NewFile(3, "speedup-requests"))
	_speedup_in.Buffer(nil, 1<<24)
	_speedup_out = _speedup_json.NewEncoder(_speedup_os.NewFile(4, "speedup-replies"))
	return true
}

// _speedup_next reads the next request. At the end of the requests it
// returns false: the parent is done with the program.
func _speedup_next(req *_speedup_request) bool {
	for _speedup_in.Scan() {
		*req = _speedup_request{}
		if err := _speedup_json.Unmarshal(_speedup_in.Bytes(), req); err != nil {
			_speedup_reply1(_speedup_reply{Error: "bad request: " + err.Error()})
			continue
		}
		return true
	}
	if err := _speedup_in.Err(); err != nil {
		_speedup_fmt.Fprintln(_speedup_os.Stderr, "this program is run by speedup:", err)
		_speedup_os.Exit(2)
	}
	return false
}

// _speedup_reply1 sends one reply; a parent that no longer listens ends
// the program.
func _speedup_reply1(rep _speedup_reply) {
	if err := _speedup_out.Encode(rep); err != nil {
		_speedup_os.Exit(1)
	}
}

// _speedup_recordPanic describes the recovered panic value v, with the
// panicking goroutine's stack and the innermost frame in a snippet block
// ("stmt" or "setup", the names that the blocks' /*line*/ directives give).
// It must be called from the deferred function that recovered v.
func _speedup_recordPanic(v any) *_speedup_panic {
	return _speedup_capturePanic(v).describe()
}

// _speedup_rawPanic is a recovered panic as captured, before its value is
// formatted.
type _speedup_rawPanic struct {
	v     any
	stack []byte
	file  string
	line  int
}

// _speedup_capturePanic captures what _speedup_recordPanic describes,
// calling only the runtime: lprun's counted run captures a panic before it
// reads the counters, and a profiled function of the standard library
// (fmt.Sprint, path/filepath.Base) must not count the harness's calls. It
// must be called from the deferred function that recovered v.
func _speedup_capturePanic(v any) *_speedup_rawPanic {
	p := &_speedup_rawPanic{v: v}
	buf := make([]byte, 1<<16)
	for {
		n := _speedup_runtime.Stack(buf, false)
		if n < len(buf) || len(buf) >= 1<<24 {
			p.stack = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	pcs := make([]uintptr, 64)
	frames := _speedup_runtime.CallersFrames(pcs[:_speedup_runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if b := _speedup_base(f.File); b == "stmt" || b == "setup" {
			p.file, p.line = b, f.Line
			break
		}
		if !more {
			break
		}
	}
	return p
}

// describe formats the captured panic (its value's String or Error method
// may be the user's code).
func (p *_speedup_rawPanic) describe() *_speedup_panic {
	d := &_speedup_panic{Value: _speedup_fmt.Sprint(p.v), Stack: string(p.stack), File: p.file, Line: p.line}
	if err, ok := p.v.(error); ok {
		d.Value = err.Error()
	}
	return d
}

// describeOrNil is describe for a panic that may not have happened.
func (p *_speedup_rawPanic) describeOrNil() *_speedup_panic {
	if p == nil {
		return nil
	}
	return p.describe()
}

// _speedup_base is path.Base for slash-separated frame file names, written
// out so that it calls no profilable code.
func _speedup_base(file string) string {
	for i := len(file) - 1; i >= 0; i-- {
		if file[i] == '/' || file[i] == '\\' {
			return file[i+1:]
		}
	}
	return file
}

// _speedup_nanotime is the runtime's monotonic clock. The harnesses time
// the counted run with it, not with package time, whose functions the user
// may profile (-f time.Now): no harness call may count in them.
//
//go:linkname _speedup_nanotime runtime.nanotime
func _speedup_nanotime() int64
