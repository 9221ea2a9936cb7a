package pdftext

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// childFlag switches `archive pdftext` into the machine mode an Extractor
// runs: one file, extracted in this process, streamed as JSON lines.
const childFlag = "-child"

// message is one JSON line from the child. Exactly one field is set.
type message struct {
	Info   *info       `json:"info,omitempty"`
	Page   *Page       `json:"page,omitempty"`
	Images *pageImages `json:"images,omitempty"`
	Error  string      `json:"error,omitempty"`
	Done   bool        `json:"done,omitempty"`
}

// Main implements `archive pdftext`. args exclude the subcommand name.
//
//	archive pdftext [-timeout 60s] [-mem bytes] [-lang CODE] [-ocr=false] FILE...
//
// prints each file's text with a form feed after every page, as pdftotext
// does (with a "==> FILE <==" line before each file when there are several),
// and reports a file it cannot read as "FILE: reason" on stderr with exit
// status 1. Extraction runs in child processes (`archive pdftext -child`)
// under the time and memory limits; scanned pages are read by Tesseract in
// the languages of -lang (a BCP 47 tag, default English), unless -ocr=false.
// It returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pdftext", flag.ContinueOnError)
	fs.SetOutput(stderr)
	child := fs.Bool(childFlag[1:], false, "extract one file in this process and write JSON lines (used by the server)")
	images := fs.String("images", "", "with -child: write the images of -pages into this folder instead (used by the server)")
	pages := fs.String("pages", "", "with -images: comma-separated page numbers")
	mem := fs.Uint64("mem", defaultMemoryLimit, "memory limit per file in bytes")
	timeout := fs.Duration("timeout", defaultTimeout, "time limit per file")
	lang := fs.String("lang", "", "language of the files, a BCP 47 tag such as en or zh-Hant: chooses the OCR languages (default English)")
	ocr := fs.Bool("ocr", true, "read scanned pages with Tesseract")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: archive pdftext [-timeout 60s] [-mem bytes] [-lang CODE] [-ocr=false] FILE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *child {
		if fs.NArg() != 1 {
			fmt.Fprintln(stderr, "pdftext -child: want exactly one file")
			return 2
		}
		if *images != "" {
			var list []int
			for _, f := range strings.Split(*pages, ",") {
				n, err := strconv.Atoi(f)
				if err != nil {
					fmt.Fprintf(stderr, "pdftext -pages: %q is not a page number\n", f)
					return 2
				}
				list = append(list, n)
			}
			return runChild(*mem, stdout, stderr, func(send func(message)) error {
				return writePageImages(fs.Arg(0), list, *images, func(p pageImages) { send(message{Images: &p}) })
			})
		}
		return runChild(*mem, stdout, stderr, func(send func(message)) error {
			return extract(fs.Arg(0), func(i info) { send(message{Info: &i}) }, func(p Page) { send(message{Page: &p}) })
		})
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	ex := &Extractor{Timeout: *timeout, MemoryLimit: *mem, OCR: OCRConfig{Off: !*ocr}}
	status := 0
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	for i, path := range fs.Args() {
		if fs.NArg() > 1 {
			if i > 0 {
				out.WriteByte('\n')
			}
			fmt.Fprintf(out, "==> %s <==\n", path)
		}
		doc, err := ex.ExtractFileLang(context.Background(), path, *lang)
		if doc != nil {
			unread := 0
			for _, p := range doc.Pages {
				if p.Text != "" {
					out.WriteString(p.Text)
					out.WriteByte('\n')
				}
				out.WriteByte('\f')
				if p.Err != "" {
					out.Flush()
					fmt.Fprintf(stderr, "%s: page %d: %s\n", path, p.Number, p.Err)
				}
				switch {
				case p.OCRErr == ErrNoTesseract.Error():
					unread++
				case p.OCRErr != "":
					out.Flush()
					fmt.Fprintf(stderr, "%s: page %d: scan not read by OCR: %s\n", path, p.Number, p.OCRErr)
				}
			}
			if unread > 0 {
				out.Flush()
				fmt.Fprintf(stderr, "%s: %d scanned pages not read: %v (apt-get install tesseract-ocr)\n", path, unread, ErrNoTesseract)
			}
			if err == nil && doc.Scanned() && unread == 0 {
				out.Flush()
				fmt.Fprintf(stderr, "%s: no text layer (a scan?)\n", path)
			}
		}
		if err != nil {
			out.Flush()
			fmt.Fprintln(stderr, err)
			status = 1
		}
	}
	return status
}

// runChild runs one job of the child and streams its messages to stdout.
// Everything that can go wrong in the library is either recovered here or
// ends the process, which the parent reports.
func runChild(mem uint64, stdout, stderr io.Writer, job func(send func(message)) error) int {
	// One file at a time needs one thread; fewer threads, less memory.
	runtime.GOMAXPROCS(1)
	if mem > 0 {
		debug.SetMemoryLimit(int64(mem) * 3 / 4)
		if err := limitMemory(mem); err != nil {
			fmt.Fprintf(stderr, "setting memory limit: %v\n", err)
		}
	}
	w := bufio.NewWriter(stdout)
	enc := json.NewEncoder(w)
	send := func(m message) {
		enc.Encode(m)
		// Flush every line: if the process is killed, what was sent stays.
		w.Flush()
	}
	err := func() (err error) {
		defer func() {
			if x := recover(); x != nil {
				err = fmt.Errorf("internal error: %v", x)
			}
		}()
		return job(send)
	}()
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		send(message{Error: err.Error()})
		return 1
	}
	send(message{Done: true})
	return 0
}

const (
	defaultTimeout     = 60 * time.Second
	defaultMemoryLimit = 1 << 30
)
