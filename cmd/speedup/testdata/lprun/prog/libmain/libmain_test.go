package libmain_test

import (
	"os"
	"testing"

	"example.com/prog/libmain"
)

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}

func TestDouble(t *testing.T) {
	if got := libmain.Double([]int{1, 2}); got[1] != 4 {
		t.Fatal(got)
	}
}
