package main

import (
	"fmt"
	"runtime"
	"sort"
	"time"
)

// The twins of bench-gc.c: binarytrees measures allocation throughput
// (ops: the depth; the BENCH line's op is one node), heap the pauses of
// a live heap of ops MiB of 64-byte objects while garbage is allocated
// (a PAUSE line as bench-gc.c prints).

type node struct{ left, right *node }

func tree(depth int) *node {
	n := &node{}
	if depth > 0 {
		n.left = tree(depth - 1)
		n.right = tree(depth - 1)
	}
	return n
}

func (n *node) check() int {
	if n.left == nil {
		return 1
	}
	return 1 + n.left.check() + n.right.check()
}

func binaryTrees(maxDepth int) int {
	longLived := tree(maxDepth)
	nodes := longLived.check()
	for d := 4; d <= maxDepth; d += 2 {
		iters := 1 << (maxDepth - d + 4)
		for i := 0; i < iters; i++ {
			nodes += tree(d).check()
		}
	}
	return nodes + longLived.check()
}

// runBinaryTrees is called by main with the depth as ops (a shallow
// warm-up first) and reports per node allocated.
func runBinaryTrees(depth int) {
	if depth < 12 {
		binaryTrees(depth)
		return
	}
	start := time.Now()
	nodes := binaryTrees(depth)
	fmt.Printf("BENCH binarytrees %.2f %d %d\n", float64(time.Since(start).Nanoseconds())/float64(nodes), nodes, runtime.GOMAXPROCS(0))
}

type obj struct {
	next *obj
	i    uintptr
	pad  [6]uintptr
}

var sink *obj

func runHeap(mib int) {
	if mib < 16 {
		return // main's warm-up run
	}
	nobj := mib * 1024 * 1024 / 64
	const heads = 4096
	lists := make([]*obj, heads)
	for i := 0; i < nobj; i++ {
		lists[i%heads] = &obj{next: lists[i%heads], i: uintptr(i)}
	}
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	start := time.Now()
	for i := 0; i < 6*nobj; i++ {
		sink = &obj{i: uintptr(i)}
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&ms1)
	var pauses []uint64
	for c := ms0.NumGC + 1; c <= ms1.NumGC && len(pauses) < 256; c++ {
		pauses = append(pauses, ms1.PauseNs[(c+255)%256])
	}
	runtime.KeepAlive(lists)
	name := fmt.Sprintf("heap-%dMiB", mib)
	fmt.Printf("BENCH %s %.2f %d %d\n", name, float64(elapsed.Nanoseconds())/float64(6*nobj), 6*nobj, runtime.GOMAXPROCS(0))
	if len(pauses) == 0 {
		return
	}
	sort.Slice(pauses, func(a, b int) bool { return pauses[a] < pauses[b] })
	pct := func(p int) uint64 {
		i := (len(pauses)*p+99)/100 - 1
		if i < 0 {
			i = 0
		}
		return pauses[i]
	}
	// GCCPUFraction covers the whole program; this is the churn's share,
	// from the GC CPU time Go accounts (runtime/metrics would split it;
	// MemStats has the total since start-up).
	fmt.Printf("PAUSE %s %d %d %d %d %.4f\n", name, pct(50), pct(99), pauses[len(pauses)-1], len(pauses), ms1.GCCPUFraction)
}
