-- window-pstate.sql — a P lane of the viewer: what P :p ran during
-- [:t0, :t1), as (start, end, goid), from the running rows of gstate
-- (packed by P in gstate_p_chunk). A P runs one goroutine at a time, so
-- the interval meeting :t0 is the last one starting before it: two
-- searches of the P's chunks (weft-indexes.sql). The viewer keys the rows
-- by the goroutine's start function (window-start-pc.sql), looked up once
-- per goroutine rather than joined per row. The rows come in no promised
-- order (see window-glane.sql).
SELECT * FROM (
  SELECT start_ns, end_ns, goid FROM gstate
  WHERE state = 0 AND p = :p AND start_ns < :t0
  ORDER BY start_ns DESC LIMIT 1)
UNION ALL
SELECT start_ns, end_ns, goid FROM gstate
WHERE state = 0 AND p = :p AND start_ns >= :t0 AND start_ns < :t1;
