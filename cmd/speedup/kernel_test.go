package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gospeedup/speedup/internal/golden"
)

// TestMain lets the test binary stand in for speedup: the kernelspecs the
// kernel tests install run it with SPEEDUP_TEST_AS_MAIN=1, which saves a
// build of the command.
func TestMain(m *testing.M) {
	if os.Getenv("SPEEDUP_TEST_AS_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

const python = "/usr/bin/python3"

// jupyterEnv returns the environment for running Debian's Jupyter against
// the kernelspec "speedup-test" (this test binary as speedup kernel, with
// extra arguments args), in temporary Jupyter directories, and the
// temporary directory the kernel gets as TMPDIR. It skips the test when
// Jupyter's Python packages are missing (.ci/run installs them).
func jupyterEnv(t *testing.T, args ...string) (env []string, tmpdir string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the kernel's Jupyter tests start kernels")
	}
	check := exec.Command(python, "-c", "import jupyter_client, nbclient, nbformat, jupyter_kernel_test")
	if out, err := check.CombinedOutput(); err != nil {
		t.Skipf("Debian's Jupyter packages are not installed (%v: %s); .ci/run installs python3-jupyter-client python3-nbclient python3-nbformat python3-jupyter-kernel-test jupyter-nbconvert", err, bytes.TrimSpace(out))
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	data := filepath.Join(root, "data")
	kdir := filepath.Join(data, "kernels", "speedup-test")
	if err := os.MkdirAll(kdir, 0o755); err != nil {
		t.Fatal(err)
	}
	spec := kernelSpec{
		Argv:          append([]string{exe, "kernel", "-f", "{connection_file}"}, args...),
		DisplayName:   "Go (speedup test)",
		Language:      "go",
		InterruptMode: "message",
		Env:           map[string]string{"SPEEDUP_TEST_AS_MAIN": "1"},
	}
	b, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(kdir, "kernel.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	tmpdir = filepath.Join(root, "tmp")
	for _, d := range []string{tmpdir, filepath.Join(root, "runtime"), filepath.Join(root, "config")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env = append(os.Environ(),
		"JUPYTER_PATH="+data, "JUPYTER_DATA_DIR="+data,
		"JUPYTER_RUNTIME_DIR="+filepath.Join(root, "runtime"),
		"JUPYTER_CONFIG_DIR="+filepath.Join(root, "config"),
		"TMPDIR="+tmpdir, "PYTHONDONTWRITEBYTECODE=1", "GOTOOLCHAIN=local")
	return env, tmpdir
}

func runPython(t *testing.T, env []string, dir string, timeout time.Duration, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestKernelJupyterSuite runs jupyter_kernel_test's tests: kernel_info,
// execute with stdout and stderr, error, execute_result, display_data,
// completion, is_complete and inspect.
func TestKernelJupyterSuite(t *testing.T) {
	env, _ := jupyterEnv(t)
	out, err := runPython(t, env, "testdata/kernel", 4*time.Minute, "-m", "unittest", "-v", "kernel_suite")
	if err != nil {
		t.Fatalf("jupyter_kernel_test failed: %v\n%s", err, out)
	}
	for _, test := range []string{"test_kernel_info", "test_execute_stdout", "test_execute_stderr", "test_error",
		"test_execute_result", "test_display_data", "test_completion", "test_is_complete", "test_inspect"} {
		if !regexpLine(out, test+` \(.*\) \.\.\. ok`) {
			t.Errorf("%s did not pass:\n%s", test, out)
		}
	}
}

func regexpLine(out, pattern string) bool {
	for _, l := range strings.Split(out, "\n") {
		if ok, _ := filepathMatchRE(pattern, l); ok {
			return true
		}
	}
	return false
}

// TestKernelLifecycle checks that the kernel survives a panicking cell,
// os.Exit, crashes, interrupts and a killed client, stops a never-ending
// cell, aborts queued cells after an error, and leaves no process and no
// temporary file after a shutdown or its parent's death.
func TestKernelLifecycle(t *testing.T) {
	env, _ := jupyterEnv(t)
	out, err := runPython(t, env, "testdata/kernel", 4*time.Minute, "lifecycle.py")
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "FAIL ") {
			t.Error(l)
		}
	}
	if err != nil {
		t.Fatalf("lifecycle.py: %v\n%s", err, out)
	}
	if n := len(regexp.MustCompile(`(?m)^ok `).FindAllString(out, -1)); n != 18 {
		t.Errorf("%d checks passed, want 18:\n%s", n, out)
	}
}

func TestKernelInstall(t *testing.T) {
	data := t.TempDir()
	t.Setenv("JUPYTER_DATA_DIR", data)
	code, stdout, stderr := runSpeedup(t, "", "kernel", "install", "--name", "gotest", "-C", "../../examples/distance")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(data, "kernels", "gotest", "kernel.json"))
	if err != nil {
		t.Fatalf("%v (stdout %q)", err, stdout)
	}
	var spec kernelSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("../../examples/distance")
	if len(spec.Argv) != 6 || !filepath.IsAbs(spec.Argv[0]) || spec.Argv[1] != "kernel" || spec.Argv[3] != "{connection_file}" || spec.Argv[5] != abs ||
		spec.Language != "go" || spec.InterruptMode != "message" {
		t.Errorf("kernel.json = %s", b)
	}
	prefix := t.TempDir()
	if code, _, stderr := runSpeedup(t, "", "kernel", "install", "--prefix", prefix); code != 0 {
		t.Fatalf("--prefix: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(prefix, "share", "jupyter", "kernels", "speedup", "kernel.json")); err != nil {
		t.Error(err)
	}
	for _, args := range [][]string{
		{"kernel", "install", "--user", "--prefix", prefix},
		{"kernel", "install", "--name", "a/b"},
		{"kernel", "install", "-C", t.TempDir()},
		{"kernel"},
		{"kernel", "-f", filepath.Join(t.TempDir(), "missing.json")},
	} {
		code, _, stderr := runSpeedup(t, "", args...)
		if code == 0 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "speedup: ") {
			t.Errorf("%v: exit %d, stderr %q; want one error line", args, code, stderr)
		}
	}
}

// filepathMatchRE matches a line against a regular expression.
func filepathMatchRE(pattern, line string) (bool, error) {
	return regexp.MatchString(pattern, line)
}

// TestTutorialNotebook executes docs/tutorial.ipynb top to bottom with
// "jupyter nbconvert --to notebook --execute" (nbclient) and checks each
// code cell's outputs against the ones stored in the notebook, numbers
// masked as the docs test masks them; then renders the executed notebook
// to HTML with nbconvert.
func TestTutorialNotebook(t *testing.T) {
	env, _ := jupyterEnv(t)
	out := t.TempDir()
	executed := filepath.Join(out, "tutorial.ipynb")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/jupyter", "nbconvert", "--to", "notebook", "--execute",
		"--ExecutePreprocessor.kernel_name=speedup-test", "--ExecutePreprocessor.timeout=180",
		"--output-dir", out, "--output", "tutorial.ipynb", "tutorial.ipynb")
	cmd.Dir, cmd.Env = "../../docs", env
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nbconvert --execute: %v\n%s", err, b)
	}
	want, err := notebookOutputs("../../docs/tutorial.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	got, err := notebookOutputs(executed)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("executed notebook has %d code cells, stored %d", len(got), len(want))
	}
	for i := range want {
		g, w := strings.Join(shapeLines(got[i]), "\n"), strings.Join(shapeLines(want[i]), "\n")
		if g != w {
			t.Errorf("code cell %d: outputs differ (numbers masked)\n--- got\n%s\n--- want\n%s", i+1, g, w)
		}
	}

	html := exec.CommandContext(ctx, "/usr/bin/jupyter", "nbconvert", "--to", "html", "--output-dir", out, executed)
	html.Env = env
	if b, err := html.CombinedOutput(); err != nil {
		t.Fatalf("nbconvert --to html: %v\n%s", err, b)
	}
	page, err := os.ReadFile(filepath.Join(out, "tutorial.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<svg", "Line Contents", "per loop (mean"} {
		if !strings.Contains(string(page), s) {
			t.Errorf("tutorial.html lacks %q", s)
		}
	}
}

// notebookOutputs returns each code cell's outputs as lines: stream text,
// the text/plain of results and displays (with the other MIME types
// listed), and errors.
func notebookOutputs(path string) ([][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var nb struct {
		Cells []struct {
			CellType string `json:"cell_type"`
			Outputs  []struct {
				OutputType string                     `json:"output_type"`
				Name       string                     `json:"name"`
				Text       json.RawMessage            `json:"text"`
				Data       map[string]json.RawMessage `json:"data"`
				Ename      string                     `json:"ename"`
				Evalue     string                     `json:"evalue"`
			} `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	var cells [][]string
	for _, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		var lines []string
		for _, o := range c.Outputs {
			switch o.OutputType {
			case "stream":
				lines = append(lines, "["+o.Name+"]")
				lines = append(lines, strings.Split(multiline(o.Text), "\n")...)
			case "execute_result", "display_data":
				var mimes []string
				for m := range o.Data {
					mimes = append(mimes, m)
				}
				sort.Strings(mimes)
				lines = append(lines, "["+o.OutputType+" "+strings.Join(mimes, " ")+"]")
				lines = append(lines, strings.Split(multiline(o.Data["text/plain"]), "\n")...)
			case "error":
				lines = append(lines, "[error "+o.Ename+"] "+o.Evalue)
			}
		}
		cells = append(cells, lines)
	}
	return cells, nil
}

// multiline reads nbformat's multiline string: a string or a list of
// lines.
func multiline(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []string
	json.Unmarshal(raw, &parts)
	return strings.Join(parts, "")
}

var (
	nbTimeRE   = regexp.MustCompile(`[-+]?[0-9][0-9.,]*(?:e[-+]?[0-9]+)?\s?(?:ns|µs|us|ms|s)\b`)
	nbNumRE    = regexp.MustCompile(`[-+]?[0-9][0-9.,]*(?:e[-+]?[0-9]+)?|∞`)
	nbHashesRE = regexp.MustCompile(`#(?:[ x%/]*#)+`)
	nbSpaceRE  = regexp.MustCompile(`[ \t]+`)
)

// shapeLines masks numbers the way docs/doc_test.go does, and leaves out
// the lines whose presence depends on the machine's load
// (golden.TimingDependent: IPython's slowest-run caution, the compiler
// time, lprun's --max-time note, ...), every warning and lprun's header
// sentences about its samples.
func shapeLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		s := strings.TrimSpace(l)
		// The tests' one list of timing-dependent lines, and lprun's
		// method sentences, which name figures of the run.
		if s == "" || golden.TimingDependent(s) || strings.HasPrefix(s, "warning: ") ||
			strings.HasPrefix(s, "Hits: ") || strings.HasPrefix(s, "Time: ") {
			continue
		}
		s = nbTimeRE.ReplaceAllString(s, "# U")
		s = nbNumRE.ReplaceAllString(s, "#")
		s = nbHashesRE.ReplaceAllString(s, "#")
		out = append(out, nbSpaceRE.ReplaceAllString(s, " "))
	}
	return out
}
