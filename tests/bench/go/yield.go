package main

import (
	"runtime"
	"sync"
)

// runYield has two goroutines call runtime.Gosched ops/2 times each, like
// bench-yield.c; with GOMAXPROCS=1 each call is a switch.
func runYield(ops int) {
	var wg sync.WaitGroup
	wg.Add(2)
	for g := 0; g < 2; g++ {
		go func() {
			defer wg.Done()
			for i := 0; i < ops/2; i++ {
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
}
