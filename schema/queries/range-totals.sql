-- range-totals.sql — what happened in [:t0, :t1) (the viewer's range
-- selection): goroutine time per state, blocked time per wait reason, GC
-- work per phase and stop-the-world time per reason, each interval
-- clipped to the range. One row per (category, item); share is the
-- fraction of the range (for the goroutine categories summed over all
-- goroutines, so it exceeds 1 when several overlap).
--
-- The goroutine rows come from gstate_totals (recorder/weft-lanes.c),
-- which adds the intervals up as it decodes the chunks that meet the
-- range, with no row through SQLite per interval: all of a 10M-event
-- trace in 0.5 s (reading gstate, 4.4 s). The viewer runs it in a worker
-- thread, cancelled when the selection changes.
WITH t AS MATERIALIZED (SELECT state, wait_reason, n, ns FROM gstate_totals (:t0, :t1)),
g (state, n, ns) AS (SELECT state, SUM(n), SUM(ns) FROM t GROUP BY state),
b (wait_reason, n, ns) AS (SELECT wait_reason, n, ns FROM t WHERE state = 2),
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
