-- goroutines.sql — goroutine analysis by start function, busiest first.
SELECT start_function, goroutines, alive_at_end, total_ns, total_exec_ns, avg_exec_ns, max_exec_ns, sched_wait_ns,
       block_sync_ns, block_chan_ns, block_net_ns, syscall_ns, block_sleep_ns, block_gc_ns, gc_assist_ns, gc_sweep_ns,
       block_other_ns
FROM goroutine_analysis
ORDER BY total_exec_ns DESC, goroutines DESC, start_function
LIMIT :limit;
