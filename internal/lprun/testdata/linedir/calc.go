// Code generated to look like goyacc's output (its //line directives name
// the grammar, calc.y, and the parser's template, yaccpar). DO NOT EDIT.

//line calc.y:2
package linedir

//line calc.y:120
func Eval(n int) int {
	s := 0                   // want 1
	for i := 0; i < n; i++ { // want 200001
		s += step(i) // want 200000
	}
	return s // want 1
}

//line yaccpar:1
func step(i int) int {
	/*line yaccpar:40*/ if i%3 == 0 { // want 200000
		return i * i // want 66667
	}
	return -i // want 133333
}
