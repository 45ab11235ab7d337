-- window-gc.sql — the viewer's GC lane: cycles (key 1), then their mark
-- phases (key 2) drawn over them, meeting [:t0, :t1).
SELECT start_ns, COALESCE(end_ns, :t1), 1 FROM gc_cycle
WHERE start_ns >= :from AND start_ns < :t1 AND COALESCE(end_ns, :t1) > :t0
UNION ALL
SELECT start_ns, end_ns, 2 FROM gc_span
WHERE kind = 'mark' AND start_ns >= :from AND start_ns < :t1 AND end_ns > :t0
ORDER BY 3, 1;
