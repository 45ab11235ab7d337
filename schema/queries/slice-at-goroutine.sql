-- slice-at-goroutine.sql — the slice the viewer's user clicked on
-- goroutine :goid's lane: its state interval covering :t, if any.
SELECT * FROM (
  SELECT goid, start_ns, end_ns, state FROM gstate
  WHERE goid = :goid AND start_ns <= :t
  ORDER BY start_ns DESC LIMIT 1)
WHERE end_ns > :t;
