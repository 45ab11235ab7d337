-- window-glane.sql — a goroutine lane of the viewer: goroutine :goid's
-- states during [:t0, :t1) as (start, end, state, wait_reason); the viewer
-- keys them as weft_lod_goroutine_key () does (in C: a CASE and a join per
-- row made this query ten times slower). Two index range scans
-- (weft-indexes.sql); the rows come in no promised order (the viewer
-- folds them into pixel columns in any order, and an ORDER BY over the
-- compound would sort them).
SELECT * FROM (
  SELECT start_ns, end_ns, state, wait_reason FROM gstate
  WHERE goid = :goid AND start_ns < :t0
  ORDER BY start_ns DESC LIMIT 1)
UNION ALL
SELECT start_ns, end_ns, state, wait_reason FROM gstate
WHERE goid = :goid AND start_ns >= :t0 AND start_ns < :t1;
