-- gc.sql — GC cycles in order, with heap sizes (bytes) and phase times.
SELECT gc_cycle, start_ns, duration_ns, trigger, heap_before, heap_after, heap_goal,
       pauses, stw_ns, mark_ns, worker_ns, assist_ns, sweep_ns, reclaimed
FROM gc_summary
ORDER BY gc_cycle
LIMIT :limit;
