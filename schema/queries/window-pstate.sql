-- window-pstate.sql — a P lane of the viewer: what P :p ran during
-- [:t0, :t1), keyed by the goroutine's start function, from the running
-- rows of gstate (packed by P in gstate_p_chunk). A P runs one
-- goroutine at a time, so the interval meeting :t0 is the last one
-- starting before it: two searches of the P's chunks (weft-indexes.sql). The
-- rows come in no promised order (see window-glane.sql).
SELECT * FROM (
  SELECT s.start_ns, s.end_ns, COALESCE(g.start_pc, 0) FROM gstate AS s
  LEFT JOIN goroutine AS g ON g.goid = s.goid
  WHERE s.state = 0 AND s.p = :p AND s.start_ns < :t0
  ORDER BY s.start_ns DESC LIMIT 1)
UNION ALL
SELECT s.start_ns, s.end_ns, COALESCE(g.start_pc, 0) FROM gstate AS s
LEFT JOIN goroutine AS g ON g.goid = s.goid
WHERE s.state = 0 AND s.p = :p AND s.start_ns >= :t0 AND s.start_ns < :t1;
