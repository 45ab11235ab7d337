-- weft-indexes.sql — indexes of schema version 1.
--
-- The viewer's question is "what happens on these lanes between t0 and t1".
-- The intervals of one lane never overlap, so those that meet [t0, t1) are
-- the ones starting in [t0, t1) plus at most one starting before t0: two
-- range scans of a (lane, start_ns) index, whatever the zoom:
--
--   SELECT * FROM gstate WHERE goid = :g AND start_ns >= :t0 AND start_ns < :t1
--   UNION ALL
--   SELECT * FROM (SELECT * FROM gstate WHERE goid = :g AND start_ns < :t0
--                  ORDER BY start_ns DESC LIMIT 1) WHERE end_ns > :t0;
--
-- (queries/window-gstate.sql); mstate_m_start serves the M lanes the
-- same way, and gstate_p_running the P lanes, read from the goroutines'
-- running intervals. pstate has no index: no query reads it by P and time
-- any more, and keeping pstate_p_start cost a load 5 M entries for 10 M
-- events (files written before keep theirs). The cost is proportional to the intervals
-- returned: a zoomed-out view of a busy lane returns many, and a summary
-- table per zoom level (or an R*Tree with duration as a dimension) is
-- left for when the viewer needs it. Analyses scan whole tables and need
-- no index of their own.

-- A bulk load (the converter) creates the indexes above the line marked
-- AFTER BULK LOAD before its rows, and those below it after: its writer
-- thread keeps the first ones up to date (they take a small part of the
-- rows, or go in lane order), which is cheaper than scanning a 10 M-row
-- table once per index afterwards (19.4 s of CPU instead of 22.5 s for
-- 10 M events); the last one, every gstate row in goroutine order, is
-- cheaper to sort once at the end.

-- Goroutines still blocked at the end (leak analysis) and other open ends.
CREATE INDEX IF NOT EXISTS gstate_open_end ON gstate (goid) WHERE open_end = 1;
-- P lanes by time, as the viewer reads them: the running rows of gstate
-- (covering: the index alone answers queries/window-pstate.sql).
CREATE INDEX IF NOT EXISTS gstate_p_running ON gstate (p, start_ns, end_ns, goid) WHERE state = 0;
-- M lanes by time.
CREATE INDEX IF NOT EXISTS mstate_m_start ON mstate (m, start_ns);
-- Regions of a goroutine by time.
CREATE INDEX IF NOT EXISTS region_goid_start ON region (goid, start_ns);
-- Logs by time.
CREATE INDEX IF NOT EXISTS log_ts ON log (ts);
-- Children of a goroutine.
CREATE INDEX IF NOT EXISTS goroutine_parent ON goroutine (parent);
-- Goroutines by start function: the timeline's groups (9M goroutines of
-- a 315 MB Go trace counted in 0.34 s instead of 2.4 s, the first frame
-- waiting for them) and the members of an expanded group.
CREATE INDEX IF NOT EXISTS goroutine_start_pc ON goroutine (start_pc);
-- Symbols by function, for "where is this function" lookups.
CREATE INDEX IF NOT EXISTS symbol_function ON symbol (function);
-- STW pauses and GC spans by time.
CREATE INDEX IF NOT EXISTS stw_start ON stw (start_ns);
CREATE INDEX IF NOT EXISTS gc_span_start ON gc_span (start_ns);
-- One kind of GC work by time (the timeline's GC lanes: a Go trace has
-- hundreds of thousands of sweeps and assists for a few mark phases,
-- which gc_span_start alone made the mark lane scan: a 13M-event Go
-- trace's frames at p99 45 ms -> 18 ms).
CREATE INDEX IF NOT EXISTS gc_span_kind_start ON gc_span (kind, start_ns);

-- AFTER BULK LOAD

-- Goroutine lanes by time.
CREATE INDEX IF NOT EXISTS gstate_goid_start ON gstate (goid, start_ns);
