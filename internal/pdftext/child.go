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
	"time"
)

// childFlag switches `archive pdftext` into the machine mode an Extractor
// runs: one file, extracted in this process, streamed as JSON lines.
const childFlag = "-child"

// message is one JSON line from the child. Exactly one field is set.
type message struct {
	Info  *info  `json:"info,omitempty"`
	Page  *Page  `json:"page,omitempty"`
	Error string `json:"error,omitempty"`
	Done  bool   `json:"done,omitempty"`
}

// Main implements `archive pdftext`. args exclude the subcommand name.
//
//	archive pdftext [-timeout 60s] [-mem bytes] FILE...
//
// prints each file's text with a form feed after every page, as pdftotext
// does (with a "==> FILE <==" line before each file when there are several),
// and reports a file it cannot read as "FILE: reason" on stderr with exit
// status 1. Extraction runs in child processes (`archive pdftext -child`)
// under the time and memory limits. It returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pdftext", flag.ContinueOnError)
	fs.SetOutput(stderr)
	child := fs.Bool(childFlag[1:], false, "extract one file in this process and write JSON lines (used by the server)")
	mem := fs.Uint64("mem", defaultMemoryLimit, "memory limit per file in bytes")
	timeout := fs.Duration("timeout", defaultTimeout, "time limit per file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: archive pdftext [-timeout 60s] [-mem bytes] FILE...")
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
		return runChild(fs.Arg(0), *mem, stdout, stderr)
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	ex := &Extractor{Timeout: *timeout, MemoryLimit: *mem}
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
		doc, err := ex.ExtractFile(context.Background(), path)
		if doc != nil {
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
			}
			if err == nil && doc.Scanned() {
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

// runChild extracts one file and streams it to stdout. Everything that can go
// wrong in the library is either recovered here or ends the process, which
// the parent reports.
func runChild(path string, mem uint64, stdout, stderr io.Writer) int {
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
		return extract(path, func(i info) { send(message{Info: &i}) }, func(p Page) { send(message{Page: &p}) })
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
