// busy: a busy Go service in miniature, traced until the trace reaches
// the size asked for: request goroutines handing work over channels,
// a mutex-guarded cache, timers, allocation that keeps the GC running,
// and goroutines that come and go. Usage: busy OUT.trace MEGABYTES
package main

import (
	"os"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type countingWriter struct {
	f *os.File
	n atomic.Int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n.Add(int64(len(p)))
	return w.f.Write(p)
}

var (
	mu    sync.Mutex
	cache = map[int][]byte{}
)

func handle(req int, reply chan<- []byte) {
	mu.Lock()
	b, ok := cache[req%1024]
	if !ok {
		b = make([]byte, 256+req%2048)
		cache[req%1024] = b
	}
	mu.Unlock()
	if req%97 == 0 {
		time.Sleep(10 * time.Microsecond)
	}
	reply <- append([]byte(nil), b...)
}

func client(stop *atomic.Bool, wg *sync.WaitGroup, id int) {
	defer wg.Done()
	reply := make(chan []byte)
	for i := id; !stop.Load(); i += 64 {
		go handle(i, reply)
		<-reply
	}
}

func main() {
	mb, err := strconv.Atoi(os.Args[2])
	if err != nil {
		panic(err)
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	w := &countingWriter{f: f}
	if err := trace.Start(w); err != nil {
		panic(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for c := 0; c < 64; c++ {
		wg.Add(1)
		go client(&stop, &wg, c)
	}
	for w.n.Load() < int64(mb)<<20 {
		time.Sleep(50 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	trace.Stop()
	f.Close()
}
