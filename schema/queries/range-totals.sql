-- range-totals.sql — what happened in [:t0, :t1) (the viewer's range
-- selection): goroutine time per state, blocked time per wait reason, GC
-- work per phase and stop-the-world time per reason, each interval
-- clipped to the range. One row per (category, item); share is the
-- fraction of the range (for the goroutine categories summed over all
-- goroutines, so it exceeds 1 when several overlap).
--
-- gstate has no index on time alone, so the goroutine table is read in
-- full whatever the range, and how its rows are added up decides the
-- rest. A narrow range (:wide 0 or unset) reads it once, sorting the few
-- intervals in range by (state, reason). A wide one (:wide 1: the viewer
-- sets it for a tenth of the trace or more) reads it twice, adding up the
-- states as it goes and sorting only the blocked intervals: sorting them
-- all was three quarters of the time (all of a 10M-event trace: 4.4 s
-- instead of 5.9 s; a thousandth of it: 0.4 s either way, where reading
-- twice would take 0.9 s). Both give the same rows. The viewer runs it in
-- a worker thread, cancelled when the selection changes.
WITH narrow AS MATERIALIZED (
  SELECT state, wait_reason, COUNT(*) AS n, SUM(MIN(end_ns, :t1) - MAX(start_ns, :t0)) AS ns
  FROM gstate
  WHERE NOT IFNULL(:wide, 0) AND start_ns < :t1 AND end_ns > :t0
  GROUP BY state, wait_reason),
wide AS MATERIALIZED (
  SELECT COUNT(*) FILTER (WHERE state = 0) AS n0, SUM(MIN(end_ns, :t1) - MAX(start_ns, :t0)) FILTER (WHERE state = 0) AS ns0,
         COUNT(*) FILTER (WHERE state = 1) AS n1, SUM(MIN(end_ns, :t1) - MAX(start_ns, :t0)) FILTER (WHERE state = 1) AS ns1,
         COUNT(*) FILTER (WHERE state = 2) AS n2, SUM(MIN(end_ns, :t1) - MAX(start_ns, :t0)) FILTER (WHERE state = 2) AS ns2,
         COUNT(*) FILTER (WHERE state = 3) AS n3, SUM(MIN(end_ns, :t1) - MAX(start_ns, :t0)) FILTER (WHERE state = 3) AS ns3
  FROM gstate
  WHERE IFNULL(:wide, 0) AND start_ns < :t1 AND end_ns > :t0),
g (state, n, ns) AS (
  SELECT state, SUM(n), SUM(ns) FROM narrow GROUP BY state
  UNION ALL SELECT 0, n0, ns0 FROM wide UNION ALL SELECT 1, n1, ns1 FROM wide
  UNION ALL SELECT 2, n2, ns2 FROM wide UNION ALL SELECT 3, n3, ns3 FROM wide),
b (wait_reason, n, ns) AS (
  SELECT wait_reason, n, ns FROM narrow WHERE state = 2
  UNION ALL
  SELECT wait_reason, COUNT(*), SUM(MIN(end_ns, :t1) - MAX(start_ns, :t0))
  FROM gstate
  WHERE IFNULL(:wide, 0) AND state = 2 AND start_ns < :t1 AND end_ns > :t0
  GROUP BY wait_reason),
span AS (SELECT MAX(:t1 - :t0, 1) AS ns)
SELECT 'state' AS category, st.name AS item, g.n AS intervals, g.ns AS total_ns,
       ROUND(g.ns * 1.0 / (SELECT ns FROM span), 4) AS share
FROM g JOIN state AS st ON st.state = g.state
WHERE g.n > 0
UNION ALL
SELECT 'blocked on', COALESCE(r.name, 'reason ' || b.wait_reason, 'unknown'), b.n, b.ns,
       ROUND(b.ns * 1.0 / (SELECT ns FROM span), 4)
FROM b LEFT JOIN wait_reason AS r ON r.reason = b.wait_reason
UNION ALL
SELECT 'GC', kind, COUNT(*), SUM(MIN(end_ns, :t1) - MAX(start_ns, :t0)),
       ROUND(SUM(MIN(end_ns, :t1) - MAX(start_ns, :t0)) * 1.0 / (SELECT ns FROM span), 4)
FROM gc_span
WHERE start_ns < :t1 AND end_ns > :t0
GROUP BY kind
UNION ALL
SELECT 'STW', reason, COUNT(*), SUM(MIN(end_ns, :t1) - MAX(start_ns, :t0)),
       ROUND(SUM(MIN(end_ns, :t1) - MAX(start_ns, :t0)) * 1.0 / (SELECT ns FROM span), 4)
FROM stw
WHERE start_ns < :t1 AND end_ns > :t0
GROUP BY reason
ORDER BY 1 DESC, 4 DESC;
