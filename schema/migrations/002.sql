-- 002.sql — schema version 1 -> 2: CPU profile samples.
--
-- Additive only, as every migration here must be: a Weft that opens an
-- older file read-only creates these tables as empty TEMP tables instead
-- (weft-store.c), so that its queries run on files it may not upgrade.
CREATE TABLE cpu_sample (
  ts INTEGER NOT NULL,
  goid INTEGER NOT NULL,
  p INTEGER NOT NULL,
  m INTEGER NOT NULL,
  stack INTEGER
);
PRAGMA user_version = 2;
