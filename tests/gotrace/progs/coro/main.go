//go:build go1.23

// coro: a coroutine (iter.Pull, Go 1.23+): goroutine switches without
// the scheduler (GoCreateBlocked, GoSwitch, GoSwitchDestroy), traced into
// the file named by the first argument.
package main

import (
	"iter"
	"os"
	"runtime/trace"
)

func count(yield func(int) bool) {
	for i := 0; i < 100; i++ {
		if !yield(i) {
			return
		}
	}
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	next, stop := iter.Pull(iter.Seq[int](count))
	for {
		if _, ok := next(); !ok {
			break
		}
	}
	stop()
	trace.Stop()
	f.Close()
}
