-- range-totals.sql — what happened in [:t0, :t1) (the viewer's range
-- selection): goroutine time per state, blocked time per wait reason, GC
-- work per phase and stop-the-world time per reason, each interval
-- clipped to the range. One row per (category, item); share is the
-- fraction of the range (for the goroutine categories summed over all
-- goroutines, so it exceeds 1 when several overlap). gstate has no index
-- on time alone: this reads the goroutine table once, aggregating by
-- (state, reason) as it goes (6.5 s for all of a 10M-event trace, 1 s for
-- a tenth, 0.4 s for a thousandth), in a worker thread that the viewer
-- cancels when the selection changes.
WITH g AS (
  SELECT state, wait_reason, COUNT(*) AS n, SUM(MIN(end_ns, :t1) - MAX(start_ns, :t0)) AS ns
  FROM gstate
  WHERE start_ns < :t1 AND end_ns > :t0
  GROUP BY state, wait_reason),
span AS (SELECT MAX(:t1 - :t0, 1) AS ns)
SELECT 'state' AS category, st.name AS item, SUM(g.n) AS intervals, SUM(g.ns) AS total_ns,
       ROUND(SUM(g.ns) * 1.0 / (SELECT ns FROM span), 4) AS share
FROM g JOIN state AS st ON st.state = g.state
GROUP BY g.state
UNION ALL
SELECT 'blocked on', COALESCE(r.name, 'reason ' || g.wait_reason, 'unknown'), g.n, g.ns,
       ROUND(g.ns * 1.0 / (SELECT ns FROM span), 4)
FROM g LEFT JOIN wait_reason AS r ON r.reason = g.wait_reason
WHERE g.state = 2
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
