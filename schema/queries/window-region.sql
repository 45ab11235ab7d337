-- window-region.sql — the viewer's region lane: user regions of every
-- goroutine meeting [:t0, :t1), keyed by their task (0: none) so that a
-- task's regions share a colour. :from = :t0 minus the longest region.
SELECT start_ns, end_ns, task
FROM region
WHERE start_ns >= :from AND start_ns < :t1 AND end_ns > :t0;
