"""Interrupt, shutdown, a panicking cell, os.Exit, a cell that never ends
and a killed client, driven by TestKernelLifecycle. Prints one line per
check: "ok NAME" or "FAIL NAME: why"; the Go test reads them."""
import json
import os
import signal
import subprocess
import sys
import time

from jupyter_client.manager import start_new_kernel

failures = 0


def check(name, cond, why=""):
    global failures
    if cond:
        print("ok", name, flush=True)
    else:
        failures += 1
        print("FAIL", name + ":", why, flush=True)


def run(kc, code, timeout=60):
    outs = []
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=lambda m: outs.append(m))
    return reply["content"], [m for m in outs if m["msg_type"] not in ("status", "execute_input")]


def text(outs):
    return "".join(m["content"].get("text", "") for m in outs if m["msg_type"] == "stream")


def leftovers():
    """Entries of the kernel's TMPDIR, less two that are not the kernel's:
    goimports' index, which golang.org/x/tools puts in the temporary
    directory inside test binaries (the kernel here is the test binary; the
    speedup command uses the user's cache directory), and the temporary
    file of the jupyter_client killed below."""
    return [f for f in os.listdir(os.environ["TMPDIR"])
            if f != "goimports" and not (f.startswith("tmp") and f.endswith(".json"))]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


km, kc = start_new_kernel(kernel_name="speedup-test")
kpid = km.provisioner.process.pid

# A panic: one error message, the kernel goes on.
r, outs = run(kc, 'xs := []int{1, 2}\ni := 5\nfmt.Println(xs[i])')
errs = [m for m in outs if m["msg_type"] == "error"]
check("panic", r["status"] == "error" and len(errs) == 1 and "cell1:3" in errs[0]["content"]["evalue"], str(outs))

# os.Exit: an error, the kernel goes on, the state is kept.
r, outs = run(kc, 'keep := 7\nos.Exit(4)')
check("os.Exit", r["status"] == "error" and "os.Exit(4)" in str(outs), str(outs))
r, outs = run(kc, 'n := 40\nfmt.Println(n + 2)')
check("after exit", r["status"] == "ok" and text(outs) == "42\n", str(outs))

# A crash on another goroutine and a deadlock.
r, outs = run(kc, 'done := make(chan bool)\ngo func() { panic("in goroutine") }()\n<-done')
check("goroutine panic", r["status"] == "error" and "in goroutine" in str(outs), str(outs))
r, outs = run(kc, 'ch := make(chan int)\nch <- 1')
check("deadlock", r["status"] == "error" and "deadlock" in str(outs) and "cell" in str(outs), str(outs))

# Malformed messages are dropped or answered; they never stop the kernel.
sock = kc.shell_channel.socket
sock.send_multipart([b"garbage"])
sock.send_multipart([b"<IDS|MSG>", b"bad-signature", b"{}", b"{}", b"{}", b"{}"])
sock.send_multipart([b"<IDS|MSG>"])
kc.session.send(sock, "execute_request", content={"code": 5, "silent": "yes"})
kc.session.send(sock, "complete_request", content={"code": "fmt.", "cursor_pos": 99999})
kc.session.send(sock, "inspect_request", content={"code": "x", "cursor_pos": -3})


def signed(msg_type, content):
    """A correctly signed message whose content is any JSON text."""
    parts = [json.dumps(kc.session.msg_header(msg_type), default=str).encode(), b"{}", b"{}", content]
    sig = kc.session.sign(parts)
    sock.send_multipart([b"<IDS|MSG>", sig if isinstance(sig, bytes) else sig.encode()] + parts)


signed("no_such_request", b"[]")
signed("is_complete_request", b"null")
signed("execute_request", b"[1, 2]")
signed("kernel_info_request", b"not json")
time.sleep(1)
while True:
    try:
        kc.get_shell_msg(timeout=0.5)
    except Exception:
        break
msg_id = kc.kernel_info()
reply = kc.get_shell_msg(timeout=30)
check("malformed messages", reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "ok", str(reply["content"])[:200])

# A cell that never ends, interrupted; its process is gone.
msg_id = kc.execute('fmt.Println(os.Getpid())\nfor {}')
pid = None
deadline = time.time() + 60
while time.time() < deadline and pid is None:
    m = kc.get_iopub_msg(timeout=60)
    if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream":
        pid = int(m["content"]["text"].split()[0])
t0 = time.time()
km.interrupt_kernel()
reply = kc.get_shell_msg(timeout=30)
check("interrupt", reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt", str(reply["content"]))
check("interrupt is quick", time.time() - t0 < 5, "took %.1fs" % (time.time() - t0))
time.sleep(0.2)
check("interrupted process gone", pid is not None and not alive(pid), "pid %s" % pid)
r, outs = run(kc, 'fmt.Println(n)')
check("state after interrupt", r["status"] == "ok" and text(outs) == "40\n", str(outs))

# A cell that ignores SIGINT is killed.
msg_id = kc.execute('signal.Ignore(os.Interrupt)\nfmt.Println(os.Getpid())\nselect {}')
pid = None
while pid is None:
    m = kc.get_iopub_msg(timeout=60)
    if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream":
        pid = int(m["content"]["text"].split()[0])
km.interrupt_kernel()
reply = kc.get_shell_msg(timeout=30)
time.sleep(0.2)
check("SIGINT-proof cell killed", reply["content"]["status"] == "error" and not alive(pid), str(reply["content"]))

# stop_on_error: cells queued behind an error are aborted.
a = kc.execute('panic("first")')
b = kc.execute('fmt.Println("must not run")')
ra = kc.get_shell_msg(timeout=60)
rb = kc.get_shell_msg(timeout=60)
check("stop_on_error", ra["content"]["status"] == "error" and rb["content"]["status"] == "aborted", str((ra["content"]["status"], rb["content"]["status"])))

# A killed client: the kernel lives on for a new one.
kc.stop_channels()
kc2 = km.client()
kc2.start_channels()
kc2.wait_for_ready(timeout=30)
r, outs = run(kc2, 'fmt.Println(n + 1)')
check("new client", r["status"] == "ok" and text(outs) == "41\n", str(outs))

# Shutdown while a cell runs: no process and no temporary directory left.
msg_id = kc2.execute('fmt.Println(os.Getpid())\ntime.Sleep(time.Hour)')
pid = None
while pid is None:
    m = kc2.get_iopub_msg(timeout=60)
    if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream":
        pid = int(m["content"]["text"].split()[0])
kc2.stop_channels()
km.shutdown_kernel(now=False)
time.sleep(0.3)
check("kernel gone after shutdown", not alive(kpid), "pid %d" % kpid)
check("cell process gone after shutdown", not alive(pid), "pid %d" % pid)
left = leftovers()
check("no temporary files", left == [], str(left))

# The kernel exits when its parent dies (a killed Jupyter server).
parent = subprocess.Popen([sys.executable, "-c", """
import sys, time
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name="speedup-test")
print(km.provisioner.process.pid, flush=True)
time.sleep(3600)
"""], stdout=subprocess.PIPE, text=True)
kpid = int(parent.stdout.readline())
parent.kill()
parent.wait()
deadline = time.time() + 10
while time.time() < deadline and alive(kpid):
    time.sleep(0.1)
check("kernel exits with its parent", not alive(kpid), "pid %d" % kpid)
time.sleep(0.3)
left = leftovers()
check("no temporary files after parent death", left == [], str(left))
sys.exit(1 if failures else 0)
