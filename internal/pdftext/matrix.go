package pdftext

// matrix is a PDF transformation [a b c d e f].
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// mul returns m followed by n.
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func (m matrix) apply(x, y float64) (float64, float64) {
	return x*m[0] + y*m[2] + m[4], x*m[1] + y*m[3] + m[5]
}

// matrixOf reads six numbers, falling back to identity.
func matrixOf(args []operand) (matrix, bool) {
	if len(args) < 6 {
		return identity, false
	}
	var m matrix
	for i := range 6 {
		a := args[len(args)-6+i]
		if a.kind != kNum {
			return identity, false
		}
		m[i] = a.num
	}
	return m, true
}
