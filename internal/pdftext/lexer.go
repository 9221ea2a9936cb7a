package pdftext

import (
	"bytes"
	"strconv"
)

// The content-stream reader is our own rather than the library's Interpret,
// because Interpret gives up on the rest of the stream at the first token it
// cannot read (a bad hex string, the binary data of an inline image) and
// allocates a Value per token. This one never fails: it skips what it cannot
// read and goes on.

type operandKind uint8

const (
	kNum operandKind = iota + 1
	kStr
	kName
	kArray
	kOther // dictionaries, booleans, null: read and ignored
)

type operand struct {
	kind operandKind
	num  float64
	s    []byte // string bytes or name, may alias the stream
	arr  []operand
}

const (
	maxOperands   = 1 << 14
	maxArrayDepth = 32
)

type lexer struct {
	b []byte
	i int
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func (l *lexer) skipSpace() {
	for l.i < len(l.b) {
		c := l.b[l.i]
		if isSpace(c) {
			l.i++
			continue
		}
		if c == '%' {
			for l.i < len(l.b) && l.b[l.i] != '\n' && l.b[l.i] != '\r' {
				l.i++
			}
			continue
		}
		return
	}
}

// regular returns the run of regular characters at the cursor.
func (l *lexer) regular() []byte {
	start := l.i
	for l.i < len(l.b) && !isSpace(l.b[l.i]) && !isDelim(l.b[l.i]) {
		l.i++
	}
	return l.b[start:l.i]
}

// token kinds returned by next besides operands.
type tokKind uint8

const (
	tEOF tokKind = iota
	tOperand
	tOp
	tArrayOpen
	tArrayClose
	tDictOpen
	tDictClose
)

// next reads one token. For tOperand the value is in *o; for tOp the
// operator name is returned.
func (l *lexer) next(o *operand) (tokKind, []byte) {
	for {
		l.skipSpace()
		if l.i >= len(l.b) {
			return tEOF, nil
		}
		c := l.b[l.i]
		switch {
		case c == '(':
			l.i++
			*o = operand{kind: kStr, s: l.literalString()}
			return tOperand, nil
		case c == '<':
			if l.i+1 < len(l.b) && l.b[l.i+1] == '<' {
				l.i += 2
				return tDictOpen, nil
			}
			l.i++
			*o = operand{kind: kStr, s: l.hexString()}
			return tOperand, nil
		case c == '>':
			l.i++
			if l.i < len(l.b) && l.b[l.i] == '>' {
				l.i++
				return tDictClose, nil
			}
			continue // stray
		case c == '[':
			l.i++
			return tArrayOpen, nil
		case c == ']':
			l.i++
			return tArrayClose, nil
		case c == '/':
			l.i++
			*o = operand{kind: kName, s: l.name()}
			return tOperand, nil
		case c == ')' || c == '{' || c == '}':
			l.i++
			continue
		}
		tok := l.regular()
		if len(tok) == 0 {
			l.i++
			continue
		}
		switch c := tok[0]; {
		case c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.':
			*o = operand{kind: kNum, num: parseNumber(tok)}
			return tOperand, nil
		}
		switch string(tok) {
		case "true", "false", "null":
			*o = operand{kind: kOther}
			return tOperand, nil
		}
		return tOp, tok
	}
}

// parseNumber is lenient as readers must be: "--5", "1.2.3" and "4." occur.
func parseNumber(tok []byte) float64 {
	if f, err := strconv.ParseFloat(string(tok), 64); err == nil {
		return f
	}
	neg := false
	i := 0
	for i < len(tok) && (tok[i] == '-' || tok[i] == '+') {
		neg = neg != (tok[i] == '-')
		i++
	}
	j := i
	dot := false
	for j < len(tok) && (tok[j] >= '0' && tok[j] <= '9' || tok[j] == '.' && !dot) {
		if tok[j] == '.' {
			dot = true
		}
		j++
	}
	f, err := strconv.ParseFloat(string(tok[i:j]), 64)
	if err != nil {
		return 0
	}
	if neg {
		f = -f
	}
	return f
}

func (l *lexer) name() []byte {
	tok := l.regular()
	if bytes.IndexByte(tok, '#') < 0 {
		return tok
	}
	out := make([]byte, 0, len(tok))
	for i := 0; i < len(tok); i++ {
		if tok[i] == '#' && i+2 < len(tok) {
			if h, lo := unhex(tok[i+1]), unhex(tok[i+2]); h >= 0 && lo >= 0 {
				out = append(out, byte(h<<4|lo))
				i += 2
				continue
			}
		}
		out = append(out, tok[i])
	}
	return out
}

func (l *lexer) literalString() []byte {
	start := l.i
	depth := 1
	// Fast path: no escapes, so the bytes can alias the stream.
	for i := start; i < len(l.b); i++ {
		switch l.b[i] {
		case '\\':
			goto slow
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				l.i = i + 1
				return l.b[start:i]
			}
		}
	}
	l.i = len(l.b)
	return l.b[start:]
slow:
	out := make([]byte, 0, 64)
	depth = 1
	for l.i < len(l.b) {
		c := l.b[l.i]
		l.i++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return out
			}
		case '\\':
			if l.i >= len(l.b) {
				return out
			}
			c = l.b[l.i]
			l.i++
			switch c {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.i < len(l.b) && l.b[l.i] == '\n' {
					l.i++
				}
				continue
			case '\n':
				continue
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := int(c - '0')
				for k := 0; k < 2 && l.i < len(l.b) && l.b[l.i] >= '0' && l.b[l.i] <= '7'; k++ {
					v = v*8 + int(l.b[l.i]-'0')
					l.i++
				}
				c = byte(v)
			}
		}
		out = append(out, c)
	}
	return out
}

func (l *lexer) hexString() []byte {
	out := make([]byte, 0, 16)
	hi := -1
	for l.i < len(l.b) {
		c := l.b[l.i]
		l.i++
		if c == '>' {
			break
		}
		v := unhex(c)
		if v < 0 {
			continue // whitespace, or garbage a reader should skip
		}
		if hi < 0 {
			hi = v
		} else {
			out = append(out, byte(hi<<4|v))
			hi = -1
		}
	}
	if hi >= 0 {
		out = append(out, byte(hi<<4))
	}
	return out
}

// skipInlineImage moves past the data of an inline image (after "ID") to
// just after its "EI". The data is binary and has no length, so look for an
// EI between white space that is followed by something that looks like
// content again.
func (l *lexer) skipInlineImage() {
	if l.i < len(l.b) && isSpace(l.b[l.i]) {
		l.i++
	}
	for from := l.i; from < len(l.b); {
		j := bytes.Index(l.b[from:], []byte("EI"))
		if j < 0 {
			break
		}
		k := from + j
		before := k == 0 || isSpace(l.b[k-1])
		after := k+2 >= len(l.b) || isSpace(l.b[k+2])
		if before && after && plausibleContent(l.b[k+2:min(len(l.b), k+2+32)]) {
			l.i = k + 2
			return
		}
		from = k + 2
	}
	l.i = len(l.b)
}

func plausibleContent(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 || c < ' ' && !isSpace(c) {
			return false
		}
	}
	return true
}
