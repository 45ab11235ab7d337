// oracle reads a Go execution trace with Go's own reader
// (golang.org/x/exp/trace, the exported copy of the toolchain's
// internal/trace) and prints the figures Weft's import must agree with:
//
//	goroutine GOID exec=NS sched=NS blocked=NS syscall=NS
//	gc COUNT TOTAL_NS      (GC concurrent mark phases that ended in the trace)
//	stw COUNT TOTAL_NS     (stop-the-world ranges that ended in the trace)
//	samples N              (CPU profile samples)
//	sample FUNCTION N      (samples whose innermost frame is in FUNCTION)
//	events N
//
// A goroutine's time in each state runs from its first transition in the
// trace to the trace's last event. Used only by tests/gotrace.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"golang.org/x/exp/trace"
)

type gstate struct {
	state trace.GoState
	since trace.Time
	total map[trace.GoState]int64
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: oracle TRACE")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	r, err := trace.NewReader(bufio.NewReader(f))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}

	gs := map[trace.GoID]*gstate{}
	open := map[string]trace.Time{} // range name + resource -> begin
	var gcN, stwN, gcNs, stwNs, events, samples int64
	sampleFuncs := map[string]int64{}
	var last trace.Time
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		events++
		last = ev.Time()
		switch ev.Kind() {
		case trace.EventStackSample:
			samples++
			fn := "(no stack)"
			for f := range ev.Stack().Frames() {
				fn = f.Func
				break
			}
			sampleFuncs[fn]++
		case trace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind != trace.ResourceGoroutine {
				break
			}
			id := st.Resource.Goroutine()
			from, to := st.Goroutine()
			g := gs[id]
			if g == nil {
				g = &gstate{total: map[trace.GoState]int64{}}
				gs[id] = g
			} else if from == g.state {
				g.total[from] += int64(ev.Time() - g.since)
			}
			g.state, g.since = to, ev.Time()
		case trace.EventRangeBegin, trace.EventRangeActive, trace.EventRangeEnd:
			rg := ev.Range()
			key := rg.Name + "/" + rg.Scope.String()
			isGC := rg.Name == "GC concurrent mark phase"
			isSTW := strings.HasPrefix(rg.Name, "stop-the-world")
			if !isGC && !isSTW {
				break
			}
			// Active: in progress when the trace began; it runs from here,
			// as Weft's import starts it.
			if ev.Kind() != trace.EventRangeEnd {
				open[key] = ev.Time()
				break
			}
			begin, ok := open[key]
			if !ok {
				break // began before the trace
			}
			delete(open, key)
			if isGC {
				gcN++
				gcNs += int64(ev.Time() - begin)
			} else {
				stwN++
				stwNs += int64(ev.Time() - begin)
			}
		}
	}

	ids := make([]trace.GoID, 0, len(gs))
	for id, g := range gs {
		if g.state != trace.GoNotExist {
			g.total[g.state] += int64(last - g.since)
		}
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for _, id := range ids {
		t := gs[id].total
		fmt.Fprintf(w, "goroutine %d exec=%d sched=%d blocked=%d syscall=%d\n", id,
			t[trace.GoRunning], t[trace.GoRunnable], t[trace.GoWaiting], t[trace.GoSyscall])
	}
	fmt.Fprintf(w, "gc %d %d\nstw %d %d\nsamples %d\n", gcN, gcNs, stwN, stwNs, samples)
	funcs := make([]string, 0, len(sampleFuncs))
	for fn := range sampleFuncs {
		funcs = append(funcs, fn)
	}
	sort.Strings(funcs)
	for _, fn := range funcs {
		fmt.Fprintf(w, "sample %s %d\n", fn, sampleFuncs[fn])
	}
	fmt.Fprintf(w, "events %d\n", events)
}
