// cpuheavy: CPU-bound goroutines in two functions, spinHot doing three
// times the work of spinCold, traced with runtime/trace into the file
// named by the first argument while CPU profiling runs, so that the trace
// holds CPU samples.
package main

import (
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"sync"
	"sync/atomic"
)

var sink atomic.Uint64

//go:noinline
func spinHot(n int) uint64 {
	x := uint64(1)
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

//go:noinline
func spinCold(n int) uint64 {
	x := uint64(3)
	for i := 0; i < n; i++ {
		x = x*2862933555777941757 + 3037000493
	}
	return x
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(io.Discard); err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); sink.Add(spinHot(300_000_000)) }()
		go func() { defer wg.Done(); sink.Add(spinCold(100_000_000)) }()
	}
	wg.Wait()
	trace.Stop()
	pprof.StopCPUProfile()
	f.Close()
}
