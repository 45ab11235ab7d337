// annotate: user tasks, nested regions and logs from several goroutines,
// with known names and counts. Traced into the file named by the first
// argument.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	ctx, task := trace.NewTask(context.Background(), "batch")
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ctx, sub := trace.NewTask(ctx, "item")
			defer sub.End()
			trace.Log(ctx, "item", fmt.Sprint(i))
			trace.WithRegion(ctx, "fetch", func() {
				trace.WithRegion(ctx, "decode", func() { time.Sleep(2 * time.Millisecond) })
			})
		}(i)
	}
	wg.Wait()
	task.End()
	trace.Stop()
	f.Close()
}
