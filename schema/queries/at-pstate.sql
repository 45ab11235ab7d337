-- at-pstate.sql — the viewer's sampling of a busy P lane without level of
-- detail: the interval of P :p covering :t is the last running one
-- starting at or before it (if it ends after :t). Returns its end and the
-- goroutine's start function.
SELECT s.end_ns, COALESCE(g.start_pc, 0)
FROM (SELECT * FROM gstate WHERE state = 0 AND p = :p AND start_ns <= :t ORDER BY start_ns DESC LIMIT 1) AS s
LEFT JOIN goroutine AS g ON g.goid = s.goid;
