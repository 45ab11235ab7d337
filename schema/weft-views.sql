-- weft-views.sql — analysis views of schema version 1, shared by the
-- `weft report` commands and the viewer. Views prefixed with '_' are
-- building blocks, not a stable interface. Durations are ns.

-- Label of an address: "function (file:line)", the file without its
-- folder (reports stay one screen wide; symbol and stack_frame keep the
-- path), or its hex value when it could not be symbolised. rtrim() drops
-- the name's characters from the end up to the last '/': what is left is
-- the folder, whose length substr() skips.
CREATE VIEW IF NOT EXISTS _pc_label AS
SELECT s.pc AS pc,
       COALESCE(s.function, printf('0x%x', s.pc))
         || CASE WHEN s.file IS NOT NULL
                 THEN ' (' || substr(s.file, length(rtrim(s.file, replace(s.file, '/', ''))) + 1) || ':'
                      || COALESCE(s.line, '?') || ')' ELSE '' END AS label,
       s.function AS function
FROM symbol AS s;

-- Each stack's call site: its innermost frame outside the Weft runtime (or
-- its innermost frame if all are in the runtime or none is symbolised).
-- SQLite takes the bare columns of a MIN() aggregate from the minimal row.
CREATE VIEW IF NOT EXISTS _stack_site AS
WITH user_frame AS (
  SELECT f.stack AS stack, MIN(f.depth) AS depth, f.pc AS pc
  FROM frame AS f LEFT JOIN symbol AS s ON s.pc = f.pc
  WHERE COALESCE(s.runtime, 0) = 0
  GROUP BY f.stack)
SELECT st.id AS stack,
       COALESCE(u.pc, f0.pc) AS pc,
       COALESCE(l.label, printf('0x%x', COALESCE(u.pc, f0.pc))) AS site,
       COALESCE(l.function, printf('0x%x', COALESCE(u.pc, f0.pc))) AS function
FROM stack AS st
LEFT JOIN user_frame AS u ON u.stack = st.id
LEFT JOIN frame AS f0 ON f0.stack = st.id AND f0.depth = 0
LEFT JOIN _pc_label AS l ON l.pc = COALESCE(u.pc, f0.pc);

-- Every goroutine with its start function (Go's grouping key), creation
-- site and lifetime.
CREATE VIEW IF NOT EXISTS goroutine_info AS
SELECT g.goid, g.parent, g.name, g.start_pc,
       COALESCE(s.function, printf('0x%x', g.start_pc)) AS start_function,
       COALESCE(cs.site, 'unknown') AS create_site,
       g.create_stack, g.created_ns, g.ended_ns, g.final_state
FROM goroutine AS g
LEFT JOIN symbol AS s ON s.pc = g.start_pc
LEFT JOIN _stack_site AS cs ON cs.stack = g.create_stack;

-- Per goroutine: time in each state, and blocked time by reason category,
-- within the trace (a wait found by a snapshot starts, in gstate, when the
-- runtime says it began, possibly before the trace: counted from t0 = 0).
CREATE VIEW IF NOT EXISTS _goroutine_time AS
SELECT goid, total_ns, exec_ns, sched_wait_ns, syscall_ns,
       block_sync_ns, block_chan_ns, block_net_ns, block_sleep_ns, block_gc_ns,
       blocked_ns - block_sync_ns - block_chan_ns - block_net_ns - block_sleep_ns - block_gc_ns AS block_other_ns
FROM (
  -- FILTER computes each interval's length only for the sums it is in,
  -- and IN (a list built once) beats joining wait_reason on every row: a
  -- fifth less CPU on 15 M intervals (9.4 s -> 7.5 s).
  SELECT s.goid,
         SUM(s.end_ns - MAX(s.start_ns, 0)) AS total_ns,
         COALESCE(SUM(s.end_ns - MAX(s.start_ns, 0)) FILTER (WHERE s.state = 0), 0) AS exec_ns,
         COALESCE(SUM(s.end_ns - MAX(s.start_ns, 0)) FILTER (WHERE s.state = 1), 0) AS sched_wait_ns,
         COALESCE(SUM(s.end_ns - MAX(s.start_ns, 0)) FILTER (WHERE s.state = 3), 0) AS syscall_ns,
         COALESCE(SUM(s.end_ns - MAX(s.start_ns, 0)) FILTER (WHERE s.state = 2), 0) AS blocked_ns,
         COALESCE(SUM(s.end_ns - MAX(s.start_ns, 0)) FILTER (
           WHERE s.state = 2 AND s.wait_reason IN (SELECT reason FROM wait_reason WHERE category = 'sync')), 0) AS block_sync_ns,
         COALESCE(SUM(s.end_ns - MAX(s.start_ns, 0)) FILTER (
           WHERE s.state = 2 AND s.wait_reason IN (SELECT reason FROM wait_reason WHERE category = 'chan')), 0) AS block_chan_ns,
         COALESCE(SUM(s.end_ns - MAX(s.start_ns, 0)) FILTER (
           WHERE s.state = 2 AND s.wait_reason IN (SELECT reason FROM wait_reason WHERE category = 'net')), 0) AS block_net_ns,
         COALESCE(SUM(s.end_ns - MAX(s.start_ns, 0)) FILTER (
           WHERE s.state = 2 AND s.wait_reason IN (SELECT reason FROM wait_reason WHERE category = 'sleep')), 0) AS block_sleep_ns,
         COALESCE(SUM(s.end_ns - MAX(s.start_ns, 0)) FILTER (
           WHERE s.state = 2 AND s.wait_reason IN (SELECT reason FROM wait_reason WHERE category = 'gc')), 0) AS block_gc_ns
  FROM gstate AS s
  GROUP BY s.goid);

-- Per goroutine: time spent in GC mark assists and in sweeping for its
-- allocations (both part of its execution).
CREATE VIEW IF NOT EXISTS _goroutine_gc AS
SELECT goid,
       SUM(CASE WHEN kind = 'assist' THEN end_ns - start_ns ELSE 0 END) AS assist_ns,
       SUM(CASE WHEN kind = 'sweep' THEN end_ns - start_ns ELSE 0 END) AS sweep_ns
FROM gc_span WHERE kind IN ('assist', 'sweep') AND goid <> 0
GROUP BY goid;

-- Every goroutine's time in the trace, by what it was doing: go tool
-- trace's per-goroutine table (total, execution, scheduler wait, network
-- and sync blocking, syscalls, GC mark assist and incremental sweep) and
-- more (channel, sleep and GC waits, other blocking). Assist and sweep time
-- are inside exec; total is exec + sched_wait + syscall + every block.
CREATE VIEW IF NOT EXISTS goroutine_stats AS
SELECT i.goid, i.name, i.start_function, i.create_site, i.created_ns, i.ended_ns,
       COALESCE(t.total_ns, 0) AS total_ns,
       COALESCE(t.exec_ns, 0) AS exec_ns,
       COALESCE(t.sched_wait_ns, 0) AS sched_wait_ns,
       COALESCE(t.block_sync_ns, 0) AS block_sync_ns,
       COALESCE(t.block_chan_ns, 0) AS block_chan_ns,
       COALESCE(t.block_net_ns, 0) AS block_net_ns,
       COALESCE(t.syscall_ns, 0) AS syscall_ns,
       COALESCE(t.block_sleep_ns, 0) AS block_sleep_ns,
       COALESCE(t.block_gc_ns, 0) AS block_gc_ns,
       COALESCE(a.assist_ns, 0) AS gc_assist_ns,
       COALESCE(a.sweep_ns, 0) AS gc_sweep_ns,
       COALESCE(t.block_other_ns, 0) AS block_other_ns
FROM goroutine_info AS i
LEFT JOIN _goroutine_time AS t ON t.goid = i.goid
LEFT JOIN _goroutine_gc AS a ON a.goid = i.goid;

-- Go's "goroutine analysis": goroutine_stats summed by start function,
-- with the number of goroutines, those alive at the end, and the mean and
-- longest execution.
CREATE VIEW IF NOT EXISTS goroutine_analysis AS
SELECT start_function,
       COUNT(*) AS goroutines,
       SUM(ended_ns IS NULL) AS alive_at_end,
       SUM(total_ns) AS total_ns,
       SUM(exec_ns) AS total_exec_ns,
       SUM(exec_ns) / COUNT(*) AS avg_exec_ns,
       MAX(exec_ns) AS max_exec_ns,
       SUM(sched_wait_ns) AS sched_wait_ns,
       SUM(block_sync_ns) AS block_sync_ns,
       SUM(block_chan_ns) AS block_chan_ns,
       SUM(block_net_ns) AS block_net_ns,
       SUM(syscall_ns) AS syscall_ns,
       SUM(block_sleep_ns) AS block_sleep_ns,
       SUM(block_gc_ns) AS block_gc_ns,
       SUM(gc_assist_ns) AS gc_assist_ns,
       SUM(gc_sweep_ns) AS gc_sweep_ns,
       SUM(block_other_ns) AS block_other_ns
FROM goroutine_stats
GROUP BY start_function;

-- Leak candidates: goroutines alive at the end of the trace whose last
-- state is blocked, with how long they had been blocked. The leaks report
-- keeps those blocked longer than a threshold ("suspects").
CREATE VIEW IF NOT EXISTS leak_candidates AS
SELECT s.goid,
       i.start_function,
       i.create_site,
       i.create_stack,
       s.wait_reason,
       COALESCE(r.name, 'reason ' || s.wait_reason) AS wait_reason_name,
       COALESCE(ws.site, 'unknown') AS block_site,
       s.stack AS block_stack,
       s.wait_obj,
       s.start_ns AS blocked_since_ns,
       s.end_ns - s.start_ns AS blocked_ns,
       s.open_start
FROM gstate AS s
JOIN goroutine_info AS i ON i.goid = s.goid
LEFT JOIN wait_reason AS r ON r.reason = s.wait_reason
LEFT JOIN _stack_site AS ws ON ws.stack = s.stack
WHERE s.open_end = 1 AND s.state = 2 AND i.ended_ns IS NULL
  -- 17 "main exited": the main goroutine parks for good once main returns
  -- (or calls weft_exit) while the process ends; that is not a leak.
  AND s.wait_reason <> 17;

-- Leaks proven by the GC (table leaked), with their sites.
CREATE VIEW IF NOT EXISTS leaked_goroutines AS
SELECT l.goid, l.ts, l.gc_cycle, i.start_function, i.create_site,
       COALESCE(ws.site, 'unknown') AS block_site, l.stack AS block_stack,
       l.wait_reason, COALESCE(r.name, 'reason ' || l.wait_reason) AS wait_reason_name, l.wait_obj
FROM leaked AS l
LEFT JOIN goroutine_info AS i ON i.goid = l.goid
LEFT JOIN wait_reason AS r ON r.reason = l.wait_reason
LEFT JOIN _stack_site AS ws ON ws.stack = l.stack;

-- The trace's time span, ns.
CREATE VIEW IF NOT EXISTS _trace_span AS
SELECT CAST((SELECT value FROM meta WHERE key = 'start_ns') AS INTEGER) AS t0,
       CAST((SELECT value FROM meta WHERE key = 'end_ns') AS INTEGER) AS t1;

-- Growth of live goroutines per creation site: how many a site had alive
-- when the trace began (created before it) and at its end, the net change
-- per second of trace (growth_per_s), and the trend (trend_per_s): the
-- least-squares slope of the site's live count over the trace, per second.
-- A site that grows steadily while its goroutines stay blocked is the
-- classic leak; the trend tells it from a pool started with the trace
-- (net growth, no trend) or a burst at the end. Closed form: the live
-- count is a sum of steps, and a step up at c in [t0, t1] has slope
-- 6 (c - t0) (t1 - c) / (t1 - t0)^3 (a step down, the opposite).
CREATE VIEW IF NOT EXISTS site_growth AS
SELECT i.create_site,
       COUNT(*) AS goroutines,
       SUM(i.created_ns IS NULL) AS alive_at_start,
       SUM(i.ended_ns IS NULL) AS alive_at_end,
       CASE WHEN sp.t1 > sp.t0
            THEN (SUM(i.ended_ns IS NULL) - SUM(i.created_ns IS NULL)) * 1e9 / (sp.t1 - sp.t0) END AS growth_per_s,
       CASE WHEN sp.t1 > sp.t0
            THEN 6e9 * (TOTAL(1.0 * (MIN(MAX(i.created_ns, sp.t0), sp.t1) - sp.t0) * (sp.t1 - MIN(MAX(i.created_ns, sp.t0), sp.t1)))
                        - TOTAL(1.0 * (MIN(MAX(i.ended_ns, sp.t0), sp.t1) - sp.t0) * (sp.t1 - MIN(MAX(i.ended_ns, sp.t0), sp.t1))))
                 / ((1.0 * (sp.t1 - sp.t0)) * (sp.t1 - sp.t0) * (sp.t1 - sp.t0)) END AS trend_per_s
FROM goroutine_info AS i, _trace_span AS sp
GROUP BY i.create_site;

-- Blocking profile: blocked time by wait reason and blocking stack, within
-- the trace (as _goroutine_time); still_blocked counts the waits that had
-- not ended with the trace (their time runs to its end: a leak weighs).
CREATE VIEW IF NOT EXISTS blocking_profile AS
SELECT s.wait_reason,
       COALESCE(r.name, 'reason ' || s.wait_reason) AS wait_reason_name,
       COALESCE(r.category, 'other') AS category,
       s.stack,
       COALESCE(ws.site, 'unknown') AS block_site,
       COUNT(*) AS count,
       SUM(s.open_end) AS still_blocked,
       SUM(s.end_ns - MAX(s.start_ns, 0)) AS total_ns,
       CAST(AVG(s.end_ns - MAX(s.start_ns, 0)) AS INTEGER) AS avg_ns,
       MAX(s.end_ns - MAX(s.start_ns, 0)) AS max_ns
FROM gstate AS s
LEFT JOIN wait_reason AS r ON r.reason = s.wait_reason
LEFT JOIN _stack_site AS ws ON ws.stack = s.stack
WHERE s.state = 2
GROUP BY s.wait_reason, s.stack;

-- Scheduler latency: every wait of a runnable goroutine for a P that ended
-- with the goroutine running (waits still going on at the end are left out).
CREATE VIEW IF NOT EXISTS sched_latency AS
SELECT s.goid, s.start_ns, s.end_ns - s.start_ns AS latency_ns
FROM gstate AS s
WHERE s.state = 1 AND s.open_end = 0 AND s.open_start = 0;

-- Its distribution. Percentiles are nearest-rank: the smallest latency
-- with at least p% of the waits at or below it. Counted per distinct
-- latency first (a few thousand values for millions of waits), so that
-- the ranks are running sums over those rather than a sort of every wait
-- (10M-event trace: 5.8 s -> under 3 s).
CREATE VIEW IF NOT EXISTS sched_latency_summary AS
WITH counts AS (
  SELECT latency_ns AS l, COUNT(*) AS c FROM sched_latency GROUP BY l),
cum AS (
  SELECT l, SUM(c) OVER (ORDER BY l) AS upto, SUM(c) OVER () AS n, SUM(l * c) OVER () AS total
  FROM counts)
SELECT COALESCE(MAX(n), 0) AS count,
       MIN(l) AS min_ns,
       CAST(CAST(MAX(total) AS REAL) / MAX(n) AS INTEGER) AS mean_ns,
       MIN(l) FILTER (WHERE upto * 100 >= n * 50) AS p50_ns,
       MIN(l) FILTER (WHERE upto * 100 >= n * 90) AS p90_ns,
       MIN(l) FILTER (WHERE upto * 100 >= n * 99) AS p99_ns,
       MIN(l) FILTER (WHERE upto * 1000 >= n * 999) AS p999_ns,
       MAX(l) AS max_ns
FROM cum;

-- Stop-the-world pauses with their GC cycle.
CREATE VIEW IF NOT EXISTS gc_pauses AS
SELECT p.id, p.start_ns, p.end_ns - p.start_ns AS duration_ns, p.reason, p.gc_cycle
FROM stw AS p;

-- Pause distribution, for all pauses (reason 'all') and per reason:
-- count, total, nearest-rank percentiles (the smallest pause with at least
-- p% of the pauses at or below it), max. Always has the 'all' row.
CREATE VIEW IF NOT EXISTS gc_pause_summary AS
WITH ranked AS (
  SELECT 'all' AS reason, duration_ns AS d,
         ROW_NUMBER() OVER (ORDER BY duration_ns) AS rn, COUNT(*) OVER () AS n
  FROM gc_pauses
  UNION ALL
  SELECT reason, duration_ns,
         ROW_NUMBER() OVER (PARTITION BY reason ORDER BY duration_ns), COUNT(*) OVER (PARTITION BY reason)
  FROM gc_pauses)
SELECT reason,
       COUNT(d) AS count,
       COALESCE(SUM(d), 0) AS total_ns,
       CAST(AVG(d) AS INTEGER) AS mean_ns,
       MIN(d) FILTER (WHERE rn * 100 >= n * 50) AS p50_ns,
       MIN(d) FILTER (WHERE rn * 100 >= n * 90) AS p90_ns,
       MIN(d) FILTER (WHERE rn * 100 >= n * 99) AS p99_ns,
       MAX(d) AS max_ns
FROM (SELECT * FROM ranked UNION ALL SELECT 'all', NULL, NULL, NULL)
GROUP BY reason
ORDER BY reason <> 'all', reason;

-- Minimum mutator utilization: for each window length w from 1 ms to 1 s,
-- the smallest fraction of any window [a, a + w) inside the trace that is
-- not stopped-the-world. Exact, trying only windows that start where a
-- pause starts (moved back to end with the trace if they would not fit):
-- a window starting inside a pause holds no less if moved back to that
-- pause's start (it gains the pause's head, at most loses as much at its
-- end), and one starting outside any pause no less if moved forward to the
-- next pause's start (or to the last position, if that comes first). A
-- pause overlaps [a, a + w) only if it starts in (a - longest pause,
-- a + w), an index range of stw_start, so the cost is windows x pauses x
-- (pauses per window + longest). The recorder writes pauses one at a time
-- (they never overlap). Window lengths longer than the trace are left out;
-- with no pause the utilization is 1.
CREATE VIEW IF NOT EXISTS mmu AS
WITH w (window_ns) AS (
  VALUES (1000000), (2000000), (5000000), (10000000), (20000000), (50000000),
         (100000000), (200000000), (500000000), (1000000000)),
fits AS (
  SELECT w.window_ns, sp.t0, sp.t1, (SELECT COALESCE(MAX(end_ns - start_ns), 0) FROM stw) AS longest
  FROM w, _trace_span AS sp WHERE sp.t1 - sp.t0 >= w.window_ns),
pos AS (
  SELECT DISTINCT f.window_ns, f.longest, MAX(f.t0, MIN(p.start_ns, f.t1 - f.window_ns)) AS a FROM fits AS f, stw AS p),
paused AS (
  SELECT pos.window_ns,
         (SELECT COALESCE(SUM(MIN(p.end_ns, pos.a + pos.window_ns) - MAX(p.start_ns, pos.a)), 0)
          FROM stw AS p
          WHERE p.start_ns > pos.a - pos.longest AND p.start_ns < pos.a + pos.window_ns AND p.end_ns > pos.a) AS stopped_ns
  FROM pos)
SELECT f.window_ns,
       MAX(0.0, 1.0 - COALESCE(MAX(paused.stopped_ns), 0) * 1.0 / f.window_ns) AS mmu
FROM fits AS f LEFT JOIN paused ON paused.window_ns = f.window_ns
GROUP BY f.window_ns
ORDER BY f.window_ns;

-- Minimum mutator utilization counting GC work too, as go tool trace's
-- MMU does by default: the mutator has none of the Ps during a pause, and
-- loses one P (of meta.nprocs) to each running dedicated or fractional
-- mark worker and each mark assist (idle workers run on Ps nobody wanted).
-- The lost fraction l(t) is a step function and its integral F piecewise
-- linear, so the time a window [a, a + w) loses, F(a + w) - F(a), is
-- piecewise linear in a with slope l(a + w) - l(a). Its maximum is where
-- that slope drops, or at the first or last position: where the window
-- starts on a step up of l (F(a) is then known, F(a + w) is looked up)
-- or ends on a step down (the other way round). Exact, and one look-up
-- per position tried: steps and look-ups are merged in one sorted pass
-- (a running MAX names the last step at or before each look-up) and
-- joined back by time.
CREATE VIEW IF NOT EXISTS mmu_gc AS
WITH w (window_ns) AS (
  VALUES (1000000), (2000000), (5000000), (10000000), (20000000), (50000000),
         (100000000), (200000000), (500000000), (1000000000)),
fits AS (
  SELECT w.window_ns, sp.t0, sp.t1 FROM w, _trace_span AS sp WHERE sp.t1 - sp.t0 >= w.window_ns),
procs AS (
  SELECT MAX(1, COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'nprocs'),
                         (SELECT MAX(p) + 1 FROM pstate), 1)) AS n),
work AS (
  SELECT start_ns, end_ns FROM gc_span WHERE kind = 'assist' OR (kind = 'worker' AND COALESCE(mode, '') <> 'idle')),
delta (t, d_stw, d_gc) AS (
  SELECT start_ns, 1, 0 FROM stw UNION ALL SELECT end_ns, -1, 0 FROM stw
  UNION ALL SELECT start_ns, 0, 1 FROM work UNION ALL SELECT end_ns, 0, -1 FROM work),
step AS (
  SELECT t, SUM(SUM(d_stw)) OVER (ORDER BY t) AS n_stw, SUM(SUM(d_gc)) OVER (ORDER BY t) AS n_gc,
         LEAD(t) OVER (ORDER BY t) AS t_next
  FROM delta GROUP BY t),
lost AS (
  SELECT s.t, s.t_next, CASE WHEN s.n_stw > 0 THEN 1.0 ELSE MIN(MAX(s.n_gc, 0), p.n) * 1.0 / p.n END AS l
  FROM step AS s, procs AS p),
cum AS (
  SELECT t, l, l - COALESCE(LAG(l) OVER (ORDER BY t), 0.0) AS dl,
         COALESCE(SUM(l * (t_next - t)) OVER (ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0.0) AS f
  FROM lost),
f_end AS (
  SELECT COALESCE((SELECT c.f + c.l * (sp.t1 - c.t) FROM cum AS c ORDER BY c.t DESC LIMIT 1), 0.0) AS f FROM _trace_span AS sp),
-- Positions: (window, known F, where to look F up, whether that is the
-- window's end). F(t0) = 0; F(t1) is f_end.
cand AS (
  SELECT fi.window_ns, c.f AS f_known, c.t + fi.window_ns AS x, 1 AS x_is_end
  FROM fits AS fi, cum AS c WHERE c.dl > 0 AND c.t BETWEEN fi.t0 AND fi.t1 - fi.window_ns
  UNION ALL
  SELECT fi.window_ns, c.f, c.t - fi.window_ns, 0
  FROM fits AS fi, cum AS c WHERE c.dl < 0 AND c.t - fi.window_ns BETWEEN fi.t0 AND fi.t1 - fi.window_ns
  UNION ALL SELECT window_ns, 0.0, t0 + window_ns, 1 FROM fits
  UNION ALL SELECT fi.window_ns, fe.f, fi.t1 - fi.window_ns, 0 FROM fits AS fi, f_end AS fe),
pts AS (
  SELECT t AS x, 0 AS is_query, NULL AS window_ns, NULL AS f_known, NULL AS x_is_end FROM cum
  UNION ALL SELECT x, 1, window_ns, f_known, x_is_end FROM cand),
located AS (
  SELECT x, is_query, window_ns, f_known, x_is_end,
         MAX(CASE WHEN is_query = 0 THEN x END) OVER (ORDER BY x, is_query ROWS UNBOUNDED PRECEDING) AS t
  FROM pts),
lost_in AS (
  SELECT q.window_ns,
         CASE WHEN q.x_is_end THEN COALESCE(c.f + c.l * (q.x - c.t), 0.0) - q.f_known
              ELSE q.f_known - COALESCE(c.f + c.l * (q.x - c.t), 0.0) END AS lost_ns
  FROM located AS q LEFT JOIN cum AS c ON c.t = q.t
  WHERE q.is_query = 1)
SELECT f.window_ns,
       MAX(0.0, MIN(1.0, 1.0 - COALESCE(MAX(li.lost_ns), 0.0) / f.window_ns)) AS mmu
FROM fits AS f LEFT JOIN lost_in AS li ON li.window_ns = f.window_ns
GROUP BY f.window_ns
ORDER BY f.window_ns;

-- GC cycles with their pause and work totals: mark is the concurrent
-- phase's wall time, workers and assists the CPU time spent marking.
-- Pauses and spans are summed per cycle first, then joined: one pass
-- over each table, not one per cycle (5000 cycles: 133 s -> 0.13 s).
CREATE VIEW IF NOT EXISTS gc_summary AS
WITH pause AS (
  SELECT gc_cycle, COUNT(*) AS pauses, SUM(end_ns - start_ns) AS stw_ns
  FROM stw WHERE gc_cycle IS NOT NULL GROUP BY gc_cycle),
work AS (
  SELECT gc_cycle,
         TOTAL(end_ns - start_ns) FILTER (WHERE kind = 'mark') AS mark_ns,
         TOTAL(end_ns - start_ns) FILTER (WHERE kind = 'worker') AS worker_ns,
         TOTAL(end_ns - start_ns) FILTER (WHERE kind = 'assist') AS assist_ns,
         TOTAL(end_ns - start_ns) FILTER (WHERE kind = 'sweep') AS sweep_ns,
         SUM(reclaimed) FILTER (WHERE kind = 'sweep') AS reclaimed
  FROM gc_span WHERE gc_cycle IS NOT NULL GROUP BY gc_cycle)
SELECT c.id AS gc_cycle, c.start_ns, c.end_ns - c.start_ns AS duration_ns, c.trigger,
       c.heap_before, c.heap_after, c.heap_goal, c.trigger_goal,
       COALESCE(p.pauses, 0) AS pauses,
       COALESCE(p.stw_ns, 0) AS stw_ns,
       CAST(COALESCE(w.mark_ns, 0) AS INTEGER) AS mark_ns,
       CAST(COALESCE(w.worker_ns, 0) AS INTEGER) AS worker_ns,
       CAST(COALESCE(w.assist_ns, 0) AS INTEGER) AS assist_ns,
       CAST(COALESCE(w.sweep_ns, 0) AS INTEGER) AS sweep_ns,
       w.reclaimed
FROM gc_cycle AS c
LEFT JOIN pause AS p ON p.gc_cycle = c.id
LEFT JOIN work AS w ON w.gc_cycle = c.id;

-- Frames with their symbols, innermost first.
CREATE VIEW IF NOT EXISTS stack_frame AS
SELECT f.stack, f.depth, f.pc, s.function, s.file, s.line, s.object, s.runtime
FROM frame AS f LEFT JOIN symbol AS s ON s.pc = f.pc;

-- The CPU profile of a Go trace written while CPU profiling ran (Go's
-- pprof.StartCPUProfile; about one sample per 10 ms of CPU): per
-- function, the samples in which it was running (self: the innermost
-- frame) and those in which it was on the stack (total, counted once per
-- sample however often it recurs), as pprof's top does.
CREATE VIEW IF NOT EXISTS cpu_profile AS
WITH n AS (SELECT COUNT(*) AS samples FROM cpu_sample),
sample_frames AS (
  SELECT c.rowid AS sample, f.depth,
         COALESCE(sy.function, CASE WHEN f.pc IS NULL THEN '(no stack)' ELSE printf('0x%x', f.pc) END) AS function
  FROM cpu_sample AS c
  LEFT JOIN frame AS f ON f.stack = c.stack
  LEFT JOIN symbol AS sy ON sy.pc = f.pc),
per_function AS (
  SELECT function, SUM(depth IS NULL OR depth = 0) AS self_samples, COUNT(DISTINCT sample) AS total_samples
  FROM sample_frames GROUP BY function)
SELECT function, self_samples, ROUND(100.0 * self_samples / n.samples, 2) AS self_pct,
       total_samples, ROUND(100.0 * total_samples / n.samples, 2) AS total_pct
FROM per_function, n;
