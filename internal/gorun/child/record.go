package child

import (
	_speedup_bufio "bufio"
	_speedup_json "encoding/json"
	_speedup_fmt "fmt"
	_speedup_os "os"
	_speedup_filepath "path/filepath"
	_speedup_runtime "runtime"
	_speedup_debug "runtime/debug"
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
	p := &_speedup_panic{Value: _speedup_fmt.Sprint(v), Stack: string(_speedup_debug.Stack())}
	if err, ok := v.(error); ok {
		p.Value = err.Error()
	}
	pcs := make([]uintptr, 64)
	frames := _speedup_runtime.CallersFrames(pcs[:_speedup_runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		if b := _speedup_filepath.Base(f.File); b == "stmt" || b == "setup" {
			p.File, p.Line = b, f.Line
			break
		}
		if !more {
			break
		}
	}
	return p
}
