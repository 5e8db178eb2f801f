package distance

import "math"

// distanceRows is distance() after its line profile (docs/tutorial.md, part 2):
// the inner loop's two lines held about two thirds of the time, spent
// indexing X twice per element (X[i][k], X[j][k]: two slice headers
// loaded and two bounds checks each). Taking the rows xi and xj out of
// the k loop, and ranging over xi with xj resliced to its length, leaves
// one load per element and lets the compiler drop the bounds checks.
func distanceRows() Matrix {
	X := randMatrix(100, 100)
	D := empty(100, 100)

	M := len(X)
	for i := 0; i < M; i++ {
		xi, Di := X[i], D[i]
		for j := 0; j < M; j++ {
			xj := X[j][:len(xi)]
			d := 0.0
			for k, v := range xi {
				tmp := v - xj[k]
				d += tmp * tmp
			}
			Di[j] = math.Sqrt(d)
		}
	}
	return D
}
