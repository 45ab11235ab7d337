-- window-gstate.sql — the intervals of goroutine :goid that meet
-- [:t0, :t1), in time order (see weft-indexes.sql for why this is two
-- index range scans).
SELECT * FROM (
  SELECT * FROM gstate
  WHERE goid = :goid AND start_ns < :t0
  ORDER BY start_ns DESC LIMIT 1)
WHERE end_ns > :t0
UNION ALL
SELECT * FROM gstate
WHERE goid = :goid AND start_ns >= :t0 AND start_ns < :t1
ORDER BY start_ns;
