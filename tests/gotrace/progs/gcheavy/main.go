// gcheavy: allocation-heavy goroutines that keep the collector busy (many
// cycles, mark assists, sweeping), plus two forced collections. Traced
// with runtime/trace into the file named by the first argument.
package main

import (
	"os"
	"runtime"
	"runtime/trace"
	"sync"
)

var sink [][]byte

func churn(wg *sync.WaitGroup, n int) {
	defer wg.Done()
	var keep [][]byte
	for i := 0; i < n; i++ {
		b := make([]byte, 512+i%4096)
		if i%64 == 0 {
			keep = append(keep, b) // some survive a while
		}
		if len(keep) > 256 {
			keep = keep[:0]
		}
	}
	sink = append(sink, keep...)
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go churn(&wg, 40000)
	}
	runtime.GC()
	wg.Wait()
	runtime.GC()
	trace.Stop()
	f.Close()
}
