package pdftext

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
)

// Damaged files (truncated downloads, offsets broken by an editor) are read
// the way other readers do: by scanning the file for "N G obj" and building a
// new cross-reference section, appended to the bytes the library is given.

var (
	reObjDef    = regexp.MustCompile(`(?:^|[\r\n\t \x00])(\d{1,10})[\r\n\t \x00]+(\d{1,5})[\r\n\t \x00]+obj\b`)
	reRoot      = regexp.MustCompile(`/Root[\r\n\t \x00]*(\d+)[\r\n\t \x00]+(\d+)[\r\n\t \x00]+R`)
	reInfo      = regexp.MustCompile(`/Info[\r\n\t \x00]*(\d+)[\r\n\t \x00]+(\d+)[\r\n\t \x00]+R`)
	reEncrypt   = regexp.MustCompile(`/Encrypt[\r\n\t \x00]*(\d+[\r\n\t \x00]+\d+[\r\n\t \x00]+R)`)
	reID        = regexp.MustCompile(`/ID[\r\n\t \x00]*\[[^\]]*\]`)
	reCatalog   = regexp.MustCompile(`/Type[\r\n\t \x00]*/Catalog\b`)
	reObjStm    = regexp.MustCompile(`/Type[\r\n\t \x00]*/ObjStm\b`)
	reN         = regexp.MustCompile(`/N[\r\n\t \x00]+(\d+)`)
	reFirst     = regexp.MustCompile(`/First[\r\n\t \x00]+(\d+)`)
	reFlate     = regexp.MustCompile(`/Filter[\r\n\t \x00]*(?:\[[\r\n\t \x00]*)?/FlateDecode`)
	reAnyFilt   = regexp.MustCompile(`/Filter`)
	rePredict   = regexp.MustCompile(`/Predictor`)
	errNoRepair = errors.New("damaged beyond repair: no objects found")
)

type objLoc struct {
	gen    int
	offset int64 // type 1
	stm    int   // type 2: object stream number
	index  int
	inStm  bool
}

// repair returns data with a rebuilt cross-reference stream appended.
func repair(data []byte) ([]byte, error) {
	objs := map[int]objLoc{}
	var root, info string
	for _, m := range reObjDef.FindAllSubmatchIndex(data, -1) {
		num, err1 := strconv.Atoi(string(data[m[2]:m[3]]))
		gen, err2 := strconv.Atoi(string(data[m[4]:m[5]]))
		if err1 != nil || err2 != nil || num <= 0 || num > maxObjects {
			continue
		}
		// Later definitions win, as in incremental updates.
		objs[num] = objLoc{gen: gen, offset: int64(m[2])}
	}
	if len(objs) == 0 {
		return nil, errNoRepair
	}
	// Objects inside object streams.
	nums := make([]int, 0, len(objs))
	for n := range objs {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		loc := objs[n]
		if loc.inStm {
			continue
		}
		head := objectHead(data, loc.offset)
		if reCatalog.Match(head) && root == "" {
			root = fmt.Sprintf("%d %d R", n, loc.gen)
		}
		if !reObjStm.Match(head) {
			continue
		}
		for i, inner := range objStmContents(data, loc.offset, head) {
			if inner > 0 && inner <= maxObjects {
				if old, ok := objs[inner]; !ok || old.inStm {
					objs[inner] = objLoc{inStm: true, stm: n, index: i}
				}
			}
		}
	}

	// The trailer of the last section, if any survives, knows the catalog.
	tail := data[max(0, len(data)-(64<<10)):]
	if i := bytes.LastIndex(tail, []byte("trailer")); i >= 0 {
		tail = tail[i:]
	}
	if m := reRoot.FindSubmatch(lastMatch(tail, reRoot)); m != nil {
		if n, _ := strconv.Atoi(string(m[1])); objs[n] != (objLoc{}) {
			root = fmt.Sprintf("%s %s R", m[1], m[2])
		}
	}
	if m := reInfo.FindSubmatch(lastMatch(tail, reInfo)); m != nil {
		info = fmt.Sprintf("/Info %s %s R", m[1], m[2])
	}
	if root == "" {
		return nil, errors.New("damaged beyond repair: no document catalog")
	}
	extra := ""
	if m := reEncrypt.FindSubmatch(lastMatch(tail, reEncrypt)); m != nil {
		extra += " /Encrypt " + string(m[1])
	}
	if id := lastMatch(tail, reID); id != nil {
		extra += " " + string(id)
	}

	size := 0
	for n := range objs {
		size = max(size, n+1)
	}
	xrefNum := size
	size++
	var table bytes.Buffer
	entry := make([]byte, 7)
	for n := 0; n < size; n++ {
		clear(entry)
		if loc, ok := objs[n]; ok {
			if loc.inStm {
				entry[0] = 2
				binary.BigEndian.PutUint32(entry[1:5], uint32(loc.stm))
				binary.BigEndian.PutUint16(entry[5:7], uint16(loc.index))
			} else {
				entry[0] = 1
				binary.BigEndian.PutUint32(entry[1:5], uint32(loc.offset))
				binary.BigEndian.PutUint16(entry[5:7], uint16(loc.gen))
			}
		}
		table.Write(entry)
	}
	out := bytes.Clone(data)
	out = append(out, '\n')
	at := len(out)
	out = fmt.Appendf(out, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root %s %s%s /Length %d >>\nstream\n",
		xrefNum, size, root, info, extra, table.Len())
	out = append(out, table.Bytes()...)
	out = fmt.Appendf(out, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", at)
	return out, nil
}

func lastMatch(b []byte, re *regexp.Regexp) []byte {
	all := re.FindAll(b, -1)
	if len(all) == 0 {
		return nil
	}
	return all[len(all)-1]
}

// objectHead is the start of an object, up to its stream data or its end.
func objectHead(data []byte, off int64) []byte {
	b := data[off:min(int64(len(data)), off+4096)]
	if i := bytes.Index(b, []byte("stream")); i >= 0 {
		return b[:i]
	}
	if i := bytes.Index(b, []byte("endobj")); i >= 0 {
		return b[:i]
	}
	return b
}

// objStmContents lists the object numbers an object stream holds, in order.
func objStmContents(data []byte, off int64, head []byte) []int {
	n := submatchInt(reN, head)
	first := submatchInt(reFirst, head)
	if n <= 0 || first <= 0 || n > maxObjects {
		return nil
	}
	start := off + int64(len(head)) + int64(len("stream"))
	for start < int64(len(data)) && (data[start] == '\r' || data[start] == '\n') {
		start++
	}
	raw := data[min(start, int64(len(data))):]
	if i := bytes.Index(raw, []byte("endstream")); i >= 0 {
		raw = raw[:i]
	}
	var dec []byte
	switch {
	case rePredict.Match(head):
		return nil
	case reFlate.Match(head):
		dec, _ = inflate(raw, maxStreamSize)
	case reAnyFilt.Match(head):
		return nil
	default:
		dec = raw
	}
	dec = dec[:min(len(dec), first)]
	fields := bytes.Fields(dec)
	var out []int
	for i := 0; i+1 < len(fields) && len(out) < n; i += 2 {
		v, err := strconv.Atoi(string(fields[i]))
		if err != nil {
			break
		}
		out = append(out, v)
	}
	return out
}

func submatchInt(re *regexp.Regexp, b []byte) int {
	m := re.FindSubmatch(b)
	if m == nil {
		return 0
	}
	v, _ := strconv.Atoi(string(m[1]))
	return v
}
