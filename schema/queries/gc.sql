-- gc.sql — GC cycles in order, with heap sizes and phase times.
SELECT gc_cycle, start_ns, duration_ns, trigger, heap_before AS heap_before_bytes, heap_after AS heap_after_bytes,
       heap_goal AS heap_goal_bytes, pauses, stw_ns, mark_ns, worker_ns, assist_ns, sweep_ns,
       reclaimed AS reclaimed_bytes
FROM gc_summary
ORDER BY gc_cycle
LIMIT :limit;
