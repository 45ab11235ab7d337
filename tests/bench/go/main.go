// Command weft-bench-go runs the Go twins of Weft's libweft benchmarks
// (tests/bench/bench-*.c) and prints the same result line:
//
//	BENCH <name> <ns per op> <ops> <procs>
//
// Usage: weft-bench-go [-trace FILE] create|yield|pingpong|binarytrees|heap [OPS]
//
// With -trace, runtime/trace records the whole run to FILE, which is the
// Go side of "how much does tracing cost". GOMAXPROCS comes from the
// environment, as WEFT_MAXPROCS does for libweft; run-bench sets both.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/trace"
	"strconv"
	"time"
)

type benchmark struct {
	run        func(ops int)
	defaultOps int
	// opsDone turns the ops asked for into the ops measured (yield
	// splits them between two goroutines).
	opsDone func(ops int) int
	// ownReport: run prints its own result lines (gc.go).
	ownReport bool
}

var benchmarks = map[string]benchmark{
	"create":   {run: runCreate, defaultOps: 200000},
	"yield":    {run: runYield, defaultOps: 1000000, opsDone: func(ops int) int { return ops / 2 * 2 }},
	"pingpong": {run: runPingpong, defaultOps: 200000},
	// gc.go: ops is a tree depth / a heap size in MiB; they print their
	// own result lines.
	"binarytrees": {run: runBinaryTrees, defaultOps: 18, ownReport: true},
	"heap":        {run: runHeap, defaultOps: 64, ownReport: true},
}

func main() {
	traceFile := flag.String("trace", "", "write a runtime/trace of the run to `file`")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s [-trace FILE] create|yield|pingpong [OPS]\n", os.Args[0])
	}
	flag.Parse()
	if flag.NArg() < 1 || flag.NArg() > 2 {
		flag.Usage()
		os.Exit(2)
	}
	name := flag.Arg(0)
	b, ok := benchmarks[name]
	if !ok {
		flag.Usage()
		os.Exit(2)
	}
	ops := b.defaultOps
	if flag.NArg() == 2 {
		n, err := strconv.Atoi(flag.Arg(1))
		if err != nil || n <= 0 {
			flag.Usage()
			os.Exit(2)
		}
		ops = n
	}

	if *traceFile != "" {
		f, err := os.Create(*traceFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// Stopped after the report, so that flushing the trace is not
		// timed, as for libweft, whose session outlives the process.
		defer trace.Stop()
	}

	// Warm up as the C programs do: start every P and grow the stack
	// and G free lists before timing.
	b.run(ops/10 + 2)

	start := time.Now()
	b.run(ops)
	elapsed := time.Since(start)

	if b.ownReport {
		return
	}
	done := ops
	if b.opsDone != nil {
		done = b.opsDone(ops)
	}
	fmt.Printf("BENCH %s %.2f %d %d\n", name, float64(elapsed.Nanoseconds())/float64(done), done, runtime.GOMAXPROCS(0))
}
