"""jupyter_kernel_test's protocol tests for speedup kernel, run by
TestKernelJupyterSuite (cmd/speedup/kernel_test.go) with the kernelspec
"speedup-test" installed in a temporary JUPYTER_PATH."""
import unittest

import jupyter_kernel_test


class SpeedupKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "speedup-test"
    language_name = "go"
    file_extension = ".go"

    code_hello_world = 'fmt.Println("hello, world")'
    code_stderr = 'fmt.Fprintln(os.Stderr, "to stderr")'

    completion_samples = [
        {"text": "fmt.Printl", "matches": {"Println"}},
        {"text": "strings.ToUp", "matches": {"ToUpper", "ToUpperSpecial"}},
        {"text": "appe", "matches": {"append"}},
    ]
    complete_code_samples = ['fmt.Println("x")', "x := 1", "func f() {}", "%timeit f()"]
    incomplete_code_samples = ["func f() {", "for i := range 3 {\n\tfmt.Println(i)", "x := (1 +"]
    invalid_code_samples = ["}", "x := 1)"]

    code_generate_error = 'panic("boom")'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": 'strings.Repeat("ab", 2)', "result": '"abab"'},
    ]
    code_display_data = [
        {"code": 'display.HTML("<b>bold</b>")', "mime": "text/html"},
        {"code": 'display.SVG(`<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>`)', "mime": "image/svg+xml"},
    ]
    code_inspect_sample = "strings.Fields"


if __name__ == "__main__":
    unittest.main()
