package brokenpkg

func f() int {
	return "x"
}
