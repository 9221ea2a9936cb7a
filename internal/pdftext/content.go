package pdftext

import "bytes"

// runContent reads a content stream (or a CMap, which has the same syntax)
// and calls exec for each operator with its operands. exec returns false to
// stop. Inline images are skipped, stray delimiters ignored.
func runContent(b []byte, exec func(op []byte, args []operand) bool) {
	l := lexer{b: b}
	stack := make([]operand, 0, 16)
	var o operand
	for {
		k, op := l.next(&o)
		switch k {
		case tEOF:
			return
		case tOperand:
			stack = append(stack, o)
		case tArrayOpen:
			stack = append(stack, operand{kind: kArray, arr: l.array(0)})
		case tDictOpen:
			l.skipDict()
			stack = append(stack, operand{kind: kOther})
		case tOp:
			if bytes.Equal(op, []byte("BI")) {
				l.skipInlineDict()
				l.skipInlineImage()
				stack = stack[:0]
				continue
			}
			if !exec(op, stack) {
				return
			}
			stack = stack[:0]
		}
		if len(stack) > maxOperands {
			// No operator takes this many operands: this is garbage.
			stack = stack[:0]
		}
	}
}

// array reads up to the closing bracket. An operator inside an array means
// the bracket was never closed; the array ends there and the operator is
// left to be executed.
func (l *lexer) array(depth int) []operand {
	var arr []operand
	var o operand
	for {
		save := l.i
		k, _ := l.next(&o)
		switch k {
		case tEOF, tArrayClose:
			return arr
		case tOperand:
			arr = append(arr, o)
		case tArrayOpen:
			if depth >= maxArrayDepth {
				l.i = len(l.b)
				return arr
			}
			arr = append(arr, operand{kind: kArray, arr: l.array(depth + 1)})
		case tDictOpen:
			l.skipDict()
			arr = append(arr, operand{kind: kOther})
		case tDictClose:
		case tOp:
			l.i = save
			return arr
		}
		if len(arr) > maxOperands {
			return arr
		}
	}
}

func (l *lexer) skipDict() {
	depth := 1
	var o operand
	for depth > 0 {
		k, _ := l.next(&o)
		switch k {
		case tEOF:
			return
		case tDictOpen:
			depth++
		case tDictClose:
			depth--
		}
	}
}

// skipInlineDict moves past the key/value pairs of an inline image to its ID.
func (l *lexer) skipInlineDict() {
	var o operand
	for {
		k, op := l.next(&o)
		switch k {
		case tEOF:
			return
		case tOp:
			if bytes.Equal(op, []byte("ID")) {
				return
			}
			if bytes.Equal(op, []byte("EI")) {
				// No data at all; step back so the caller's skip is a no-op.
				l.i -= 2
				return
			}
		}
	}
}
