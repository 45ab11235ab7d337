-- gc.sql — GC cycles in order.
SELECT gc_cycle, start_ns, duration_ns, trigger, heap_before, heap_after, heap_goal,
       stw_ns, mark_ns, assist_ns, sweep_ns
FROM gc_summary
ORDER BY gc_cycle
LIMIT :limit;
