-- slice-at-thread.sql — the slice the viewer's user clicked on thread
-- :m's lane: the goroutine it ran at :t (none when idle or parked).
SELECT * FROM (
  SELECT goid, start_ns, end_ns, state FROM mstate
  WHERE m = :m AND start_ns <= :t
  ORDER BY start_ns DESC LIMIT 1)
WHERE end_ns > :t AND goid IS NOT NULL AND goid > 0;
