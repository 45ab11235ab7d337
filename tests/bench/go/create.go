package main

import "sync"

// runCreate starts ops goroutines that do nothing but signal their end,
// in batches waited for with a WaitGroup, like bench-create.c.
func runCreate(ops int) {
	const batch = 1000
	var wg sync.WaitGroup
	for done := 0; done < ops; done += batch {
		n := batch
		if ops-done < batch {
			n = ops - done
		}
		wg.Add(n)
		for i := 0; i < n; i++ {
			go wg.Done()
		}
		wg.Wait()
	}
}
