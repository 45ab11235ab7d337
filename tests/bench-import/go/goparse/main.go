// goparse: Go's own trace reader (golang.org/x/exp/trace, the exported
// copy of the toolchain's internal/trace that `go tool trace` parses
// with) reading every event of a trace, timed. Prints
// "events N seconds S".
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/exp/trace"
)

func main() {
	start := time.Now()
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r, err := trace.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	n := 0
	for {
		_, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		n++
	}
	fmt.Printf("events %d seconds %.3f\n", n, time.Since(start).Seconds())
}
