// httpload: an HTTP server under load from concurrent clients, on
// loopback. With a file argument, traces the run into it with
// runtime/trace; with -serve, serves net/http/pprof (and the same
// handler, under load from its own clients) until killed, printing
// "listening on PORT" first, for `weft record --go`.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime/trace"
	"strings"
	"sync"
	"time"
)

func handler(w http.ResponseWriter, r *http.Request) {
	time.Sleep(100 * time.Microsecond)
	io.WriteString(w, strings.Repeat("weft ", 200))
}

func load(url string, clients, requests int) {
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < requests; i++ {
				resp, err := http.Get(url)
				if err != nil {
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
}

func main() {
	serve := flag.Bool("serve", false, "serve pprof and load it until killed")
	requests := flag.Int("requests", 200, "requests per client")
	flag.Parse()

	http.HandleFunc("/work", handler)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go http.Serve(ln, nil)
	url := fmt.Sprintf("http://%s/work", ln.Addr())

	if *serve {
		fmt.Printf("listening on %d\n", ln.Addr().(*net.TCPAddr).Port)
		os.Stdout.Sync()
		for {
			load(url, 4, 50)
		}
	}
	f, err := os.Create(flag.Arg(0))
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	load(url, 8, *requests)
	trace.Stop()
	f.Close()
}
