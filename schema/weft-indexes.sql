-- weft-indexes.sql — indexes of schema version 3.
--
-- The viewer's question is "what happens on these lanes between t0 and t1".
-- The intervals of one lane never overlap, so those that meet [t0, t1) are
-- the ones starting in [t0, t1) plus at most one starting before t0:
--
--   SELECT * FROM gstate WHERE goid = :g AND start_ns >= :t0 AND start_ns < :t1
--   UNION ALL
--   SELECT * FROM (SELECT * FROM gstate WHERE goid = :g AND start_ns < :t0
--                  ORDER BY start_ns DESC LIMIT 1) WHERE end_ns > :t0;
--
-- (queries/window-gstate.sql). gstate, pstate and mstate are virtual
-- tables over chunks of a lane's intervals (weft-schema.sql,
-- recorder/weft-lanes.c): each answers "lane = X" with start_ns bounds,
-- in start order either way, by two look-ups in its chunks' (lane,
-- start_ns) index below and the decoding of the chunks in the window; so
-- does gstate for "state = 0 AND p = X" (the P lanes) from
-- gstate_p_chunk. Analyses scan whole tables and need no index of their
-- own. Files of schema version 2 keep their row tables and the indexes
-- they had (gstate_goid_start, gstate_p_running, mstate_m_start…).

-- A bulk load (the converter) creates the indexes above the line marked
-- AFTER BULK LOAD before its rows, and those below it after: its writer
-- thread keeps the first ones up to date (they take a small part of the
-- rows), which is cheaper than scanning the table once per index
-- afterwards.

-- The chunks of a lane by time (a few hundred thousand rows for 10 M
-- events).
CREATE INDEX IF NOT EXISTS gstate_chunk_lane ON gstate_chunk (lane, start_ns);
CREATE INDEX IF NOT EXISTS gstate_p_chunk_lane ON gstate_p_chunk (lane, start_ns);
CREATE INDEX IF NOT EXISTS pstate_chunk_lane ON pstate_chunk (lane, start_ns);
CREATE INDEX IF NOT EXISTS mstate_chunk_lane ON mstate_chunk (lane, start_ns);
-- The chunks holding intervals still going on at the end (the leak
-- analysis: goroutines blocked at the end).
CREATE INDEX IF NOT EXISTS gstate_chunk_open_end ON gstate_chunk (lane) WHERE open_end = 1;
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

-- (none: the lane tables' chunks are indexed as they are written)
