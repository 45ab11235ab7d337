// leaky: a pipeline whose workers leak. Ten goroutines from one site wait
// on a channel nobody will ever send on; the rest finish. Traced with
// runtime/trace into the file named by the first argument.
package main

import (
	"os"
	"runtime/trace"
	"sync"
	"time"
)

const leaked = 10

// waitForever is the leaking site: its goroutines block on a receive from
// a channel that is never sent on nor closed.
func waitForever(never chan int) {
	<-never
}

func work(wg *sync.WaitGroup, in <-chan int, out chan<- int) {
	defer wg.Done()
	for v := range in {
		out <- v * v
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

	never := make(chan int)
	for i := 0; i < leaked; i++ {
		go waitForever(never)
	}

	in, out := make(chan int), make(chan int, 100)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go work(&wg, in, out)
	}
	for i := 0; i < 100; i++ {
		in <- i
	}
	close(in)
	wg.Wait()
	time.Sleep(20 * time.Millisecond)

	trace.Stop()
	f.Close()
}
