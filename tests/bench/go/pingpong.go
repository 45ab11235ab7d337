package main

// runPingpong bounces a value over two unbuffered channels ops times,
// like bench-pingpong.c.
func runPingpong(ops int) {
	ping := make(chan int)
	pong := make(chan int)
	done := make(chan struct{})
	go func() {
		for v := range ping {
			pong <- v
		}
		close(done)
	}()
	for i := 0; i < ops; i++ {
		ping <- i
		<-pong
	}
	close(ping)
	<-done
}
