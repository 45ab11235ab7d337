-- 003.sql — schema version 2 -> 3: the lane tables packed in chunks.
--
-- Version 3 stores gstate, pstate and mstate as chunks read through
-- virtual tables of the same names (recorder/weft-lanes.c). An upgraded
-- file keeps its row tables, which SQLite finds before the virtual ones:
-- its rows stay where they are, and these tables stay empty.
CREATE TABLE gstate_chunk (lane INTEGER NOT NULL, start_ns INTEGER NOT NULL, last_start INTEGER NOT NULL, end_ns INTEGER NOT NULL, max_id INTEGER NOT NULL, open_end INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE gstate_p_chunk (lane INTEGER NOT NULL, start_ns INTEGER NOT NULL, last_start INTEGER NOT NULL, end_ns INTEGER NOT NULL, max_id INTEGER NOT NULL, open_end INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE pstate_chunk (lane INTEGER NOT NULL, start_ns INTEGER NOT NULL, last_start INTEGER NOT NULL, end_ns INTEGER NOT NULL, max_id INTEGER NOT NULL, open_end INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE mstate_chunk (lane INTEGER NOT NULL, start_ns INTEGER NOT NULL, last_start INTEGER NOT NULL, end_ns INTEGER NOT NULL, max_id INTEGER NOT NULL, open_end INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
PRAGMA user_version = 3;
