-- weft-lod.sql — the timeline's level-of-detail tables, derived from the
-- state tables once after a conversion (recorder/weft-lod.c) and never
-- changed afterwards. A file without them is still complete: the viewer
-- then reads the intervals themselves, which costs more when zoomed out.
--
-- A lane is a sequence of non-overlapping intervals, each with a key: a P
-- (gstate rows running on it, keyed by the goroutine's start function),
-- an M (mstate, keyed by state; parked stretches left out, as the viewer
-- draws nothing for them), a busy goroutine (its gstate rows, keyed by
-- weft_lod_goroutine_key ()), a counter (counter_sample, a value holding
-- until the next sample, "keyed" by the value) or a kind of GC work
-- (gc_span mark workers keyed by mode, assists, sweeps, the spans of all
-- Ps merged where they overlap). For every second power-
-- of-two bucket size 2^level ns (WEFT_LOD_STRIDE), from the lane's base
-- level up to the trace's length, lod_bucket holds for each bucket the
-- lane touches the key covering most of it and how much of it that key
-- covers (counters: the largest value in force). A bucket touched by
-- anything has a row, so that nothing that happened leaves a gap when
-- zoomed out; no two keys are mixed, so nothing is blurred.
--
-- A view of S ns over W pixels reads the coarsest level stored whose
-- buckets are no wider than a pixel: at most 4W rows per lane, whatever
-- the zoom. The base level is the smallest with at most
-- WEFT_LOD_PER_BUCKET (4) intervals of the lane per bucket on average, so
-- that below it (a pixel narrower than a base bucket) the intervals
-- themselves are few, about 4W per lane, read through the (lane, start)
-- indexes of weft-indexes.sql. Lanes with few intervals get no buckets at
-- all (lod_lane lists those that have them).
--
-- The build records in meta 'lod_build_ms' how long it took and in
-- 'lod_clipped' how many intervals started before the previous one of
-- their lane ended (0 in a consistent trace).

-- The lanes that have buckets.
CREATE TABLE IF NOT EXISTS lod_lane (
  -- Row id, lod_bucket.lane.
  id INTEGER PRIMARY KEY,
  -- 0 P, 1 M, 2 goroutine, 3 counter, 4 GC work (lane 0 mark workers,
  -- 1 assists, 2 sweeps: the union of all Ps' spans).
  kind INTEGER NOT NULL,
  -- The P, M, goroutine id or counter id.
  lane INTEGER NOT NULL,
  -- Intervals (or samples) in the lane.
  intervals INTEGER NOT NULL,
  -- The finest level stored: buckets of 2^base_level ns.
  base_level INTEGER NOT NULL,
  -- The coarsest level stored.
  top_level INTEGER NOT NULL,
  UNIQUE (kind, lane)
);

-- The dominant key of each bucket touched, per lane and level: the
-- virtual table lod_bucket (recorder/weft-lanes.c, registered on every
-- connection of a WeftStore; a file written before schema version 3 has
-- it as a table) over lod_chunk:
--   CREATE TABLE lod_bucket (
--     -- The lane (lod_lane.id).
--     lane INTEGER NOT NULL,
--     -- Buckets of 2^level ns.
--     level INTEGER NOT NULL,
--     -- The bucket [bucket << level, (bucket + 1) << level) ns.
--     bucket INTEGER NOT NULL,
--     -- The key covering most of the bucket (counters: the largest value).
--     key INTEGER NOT NULL,
--     -- ns of the bucket that key covers.
--     cover INTEGER NOT NULL
--   );
-- "lane = X AND level = Y" with bucket bounds reads that (lane, level)'s
-- chunks in the window, in bucket order.

-- Up to 64 consecutive buckets of one (lane, level), packed (zigzag
-- varints of bucket, key and cover less the previous bucket's).
CREATE TABLE IF NOT EXISTS lod_chunk (
  -- lod_bucket.lane.
  lane INTEGER NOT NULL,
  -- lod_bucket.level.
  level INTEGER NOT NULL,
  -- Its first bucket.
  first INTEGER NOT NULL,
  -- Its last bucket.
  last INTEGER NOT NULL,
  -- Number of buckets.
  n INTEGER NOT NULL,
  -- The buckets.
  data BLOB NOT NULL,
  PRIMARY KEY (lane, level, first)
) WITHOUT ROWID;
