-- weft-schema.sql — the tables of a Weft trace database (schema version 3).
--
-- A .weft file is an SQLite database. user_version is the schema version:
-- a reader refuses a file with a newer one, and migrations/NNN.sql upgrades
-- version NNN-1 to NNN. application_id marks the file as Weft's
-- ("Weft" in ASCII) so that other SQLite databases are told apart.
--
-- Conventions:
--  - times are INTEGER nanoseconds since the trace's time origin, the first
--    event (meta 'clock_origin_ns' gives that instant in ns since the Unix
--    epoch); intervals are half-open [start_ns, end_ns);
--  - goid 0 means "no goroutine" (the runtime itself); P and M ids are the
--    runtime's small integers, -1 meaning none;
--  - state codes are in table state, wait reason codes in table wait_reason;
--  - open_start = 1: the interval began before the trace (its start is when
--    the trace first saw it, or the runtime's own record of when it began);
--    open_end = 1: the interval was still going on when the trace ended (its
--    end is the trace's end).
--
-- Indexes are in weft-indexes.sql (which says which ones a bulk load
-- builds after its rows) and views in weft-views.sql (created after).

PRAGMA application_id = 1466263156;
PRAGMA user_version = 3;

-- Trace-wide facts, one per key. Keys written by the recorder:
--  source (the CTF folder), clock (clock class name), clock_origin_ns,
--  start_ns, end_ns (relative), hostname, program, pid, nprocs,
--  runtime_version, trace_format, stack_size, events (events read),
--  lost_events, lost_packets, inconsistencies (total) and
--  inconsistency.<kind> (per kind), recorder_version, converted_at
--  (ISO 8601), symbolizer, symbolized_pcs, unsymbolized_pcs.
CREATE TABLE meta (
  -- The fact's name.
  key TEXT PRIMARY KEY NOT NULL,
  -- Its value (INTEGER or TEXT).
  value
) WITHOUT ROWID;

-- Names of the state codes used by gstate.state and mstate.state.
CREATE TABLE state (
  -- 0 running, 1 runnable, 2 blocked, 3 syscall, 4 idle, 5 parked.
  state INTEGER PRIMARY KEY,
  -- Display name.
  name TEXT NOT NULL
);
INSERT INTO state VALUES
  (0, 'running'), (1, 'runnable'), (2, 'blocked'), (3, 'syscall'), (4, 'idle'), (5, 'parked');

-- Why a goroutine blocked: the weft:wait_reason enum (Go's waitReason
-- strings). Codes the trace uses but this table lacks are added by the
-- recorder with the trace's own label and category 'other'.
CREATE TABLE wait_reason (
  -- The code in weft:go_switch / weft:go_status.
  reason INTEGER PRIMARY KEY,
  -- Go's waitReason string.
  name TEXT NOT NULL,
  -- Grouping used by the analyses: chan, sync, net, sleep, gc, other.
  category TEXT NOT NULL
);
INSERT INTO wait_reason VALUES
  (0, 'none', 'other'),
  (1, 'chan send', 'chan'),
  (2, 'chan receive', 'chan'),
  (3, 'select', 'chan'),
  (4, 'select (no cases)', 'chan'),
  (5, 'chan send (nil chan)', 'chan'),
  (6, 'chan receive (nil chan)', 'chan'),
  (7, 'sync.Mutex.Lock', 'sync'),
  (8, 'sync.RWMutex.RLock', 'sync'),
  (9, 'sync.RWMutex.Lock', 'sync'),
  (10, 'sync.Cond.Wait', 'sync'),
  (11, 'sync.WaitGroup.Wait', 'sync'),
  (12, 'sleep', 'sleep'),
  (13, 'IO wait (read)', 'net'),
  (14, 'IO wait (write)', 'net'),
  (15, 'IO wait (accept)', 'net'),
  (16, 'IO wait (connect)', 'net'),
  (17, 'main exited', 'other'),
  (18, 'GC assist wait', 'gc'),
  (19, 'GC stop the world', 'gc'),
  (20, 'sync.Once.Do', 'sync');

-- Why a running goroutine left its P: the weft:stop_reason enum.
CREATE TABLE stop_reason (
  -- The code in weft:go_switch.
  reason INTEGER PRIMARY KEY,
  -- none, yield, preempted, blocked, exited, syscall.
  name TEXT NOT NULL
);
INSERT INTO stop_reason VALUES
  (0, 'none'), (1, 'yield'), (2, 'preempted'), (3, 'blocked'), (4, 'exited'), (5, 'syscall');

-- Every goroutine the trace knows of: created during the trace
-- (weft:go_create) or found alive by a snapshot (weft:go_status).
CREATE TABLE goroutine (
  -- The runtime's goroutine id (never reused within a process).
  goid INTEGER PRIMARY KEY,
  -- The goroutine that created it; 0 if the runtime did.
  parent INTEGER NOT NULL DEFAULT 0,
  -- Entry point of the goroutine's function; symbol.pc names it.
  start_pc INTEGER NOT NULL DEFAULT 0,
  -- Name given with weft_go_named(), NULL if none.
  name TEXT,
  -- Stack (stack.id) of the weft_go call that created it; NULL if unknown.
  create_stack INTEGER,
  -- When it was created; NULL if before the trace began.
  created_ns INTEGER,
  -- When it exited; NULL if it was alive when the trace ended.
  ended_ns INTEGER,
  -- Its state (state.state) when the trace ended; NULL if it exited.
  final_state INTEGER
);

-- Goroutine lanes: what each goroutine was doing, as consecutive
-- non-overlapping intervals. One row per state change.
-- gstate (a virtual table, recorder/weft-lanes.c; stored in gstate_chunk):
--   CREATE TABLE gstate (
--    -- Row id (rows are inserted in the order their intervals end).
--    id INTEGER PRIMARY KEY,
--    -- The goroutine (goroutine.goid).
--    goid INTEGER NOT NULL,
--    -- Interval start, ns.
--    start_ns INTEGER NOT NULL,
--    -- Interval end, ns (the trace's end if open_end).
--    end_ns INTEGER NOT NULL,
--    -- 0 running, 1 runnable, 2 blocked, 3 syscall (table state).
--    state INTEGER NOT NULL,
--    -- Blocked: why (wait_reason.reason); NULL otherwise.
--    wait_reason INTEGER,
--    -- Blocked: address of the object waited on (channel, mutex...), if any.
--    wait_obj INTEGER,
--    -- Blocked: stack (stack.id) where it blocked; NULL if unknown.
--    stack INTEGER,
--    -- Running: why it stopped (stop_reason.reason); NULL otherwise.
--    stop_reason INTEGER,
--    -- Running/syscall: the P it held (NULL if none or unknown).
--    p INTEGER,
--    -- Running/syscall: the M (thread) it ran on (NULL if unknown).
--    m INTEGER,
--    -- Blocked: the goroutine whose action made it runnable (0: the runtime,
--    -- e.g. a timer or the netpoller); NULL if still blocked at trace end.
--    unblocked_by INTEGER,
--    -- 1 if the interval began before the trace (see the header).
--    open_start INTEGER NOT NULL DEFAULT 0,
--    -- 1 if it was still going on when the trace ended.
--    open_end INTEGER NOT NULL DEFAULT 0
--   );

-- P lanes: which goroutine each P ran, as non-overlapping intervals. Gaps
-- are times the P ran no goroutine (idle or in the scheduler).
-- pstate (a virtual table, recorder/weft-lanes.c; stored in pstate_chunk):
--   CREATE TABLE pstate (
--    -- Row id.
--    id INTEGER PRIMARY KEY,
--    -- The P.
--    p INTEGER NOT NULL,
--    -- Interval start, ns.
--    start_ns INTEGER NOT NULL,
--    -- Interval end, ns.
--    end_ns INTEGER NOT NULL,
--    -- The goroutine it ran.
--    goid INTEGER NOT NULL,
--    -- The M that held the P meanwhile (NULL if unknown).
--    m INTEGER,
--    -- See the header.
--    open_start INTEGER NOT NULL DEFAULT 0,
--    -- See the header.
--    open_end INTEGER NOT NULL DEFAULT 0
--   );

-- The runtime's threads (Ms).
CREATE TABLE thread (
  -- The runtime's M id.
  m INTEGER PRIMARY KEY,
  -- The kernel thread id (NULL if the thread started before the trace).
  tid INTEGER,
  -- When it started; NULL if before the trace.
  started_ns INTEGER
);

-- M lanes: what each thread was doing, as non-overlapping intervals.
-- mstate (a virtual table, recorder/weft-lanes.c; stored in mstate_chunk):
--   CREATE TABLE mstate (
--    -- Row id.
--    id INTEGER PRIMARY KEY,
--    -- The M.
--    m INTEGER NOT NULL,
--    -- Interval start, ns.
--    start_ns INTEGER NOT NULL,
--    -- Interval end, ns.
--    end_ns INTEGER NOT NULL,
--    -- 0 running a goroutine, 3 in a system call, 4 idle (scheduling or
--    -- spinning, with or without a P), 5 parked (table state).
--    state INTEGER NOT NULL,
--    -- The P it held (NULL if none).
--    p INTEGER,
--    -- The goroutine it ran (NULL if none).
--    goid INTEGER,
--    -- See the header.
--    open_start INTEGER NOT NULL DEFAULT 0,
--    -- See the header.
--    open_end INTEGER NOT NULL DEFAULT 0
--   );

-- The lane tables' storage (schema version 3): gstate, pstate and mstate
-- are virtual tables (recorder/weft-lanes.c, registered on every
-- connection of a WeftStore) over chunks of up to 64 consecutive
-- intervals of one lane, in start order, packed in a BLOB (varint deltas;
-- weft-lanes.c has the format). A lane's chunks, in start order, do not
-- interleave. gstate_p_chunk holds gstate's running intervals again, by P
-- (the P lanes). SQLite tools without Weft's module read only these.
CREATE TABLE gstate_chunk (
  -- The goroutine (gstate.goid).
  lane INTEGER NOT NULL,
  -- start_ns of its first interval.
  start_ns INTEGER NOT NULL,
  -- start_ns of its last interval.
  last_start INTEGER NOT NULL,
  -- The largest end_ns of its intervals.
  end_ns INTEGER NOT NULL,
  -- The largest id of its intervals.
  max_id INTEGER NOT NULL,
  -- 1 if one of its intervals has open_end = 1.
  open_end INTEGER NOT NULL,
  -- Number of intervals.
  n INTEGER NOT NULL,
  -- The intervals.
  data BLOB NOT NULL
);
-- gstate's running intervals by P (lane: gstate.p; the BLOB's lane column
-- is the P, and its p column the goroutine).
CREATE TABLE gstate_p_chunk (lane INTEGER NOT NULL, start_ns INTEGER NOT NULL, last_start INTEGER NOT NULL,
  end_ns INTEGER NOT NULL, max_id INTEGER NOT NULL,
  open_end INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
-- pstate's intervals (lane: pstate.p).
CREATE TABLE pstate_chunk (lane INTEGER NOT NULL, start_ns INTEGER NOT NULL, last_start INTEGER NOT NULL,
  end_ns INTEGER NOT NULL, max_id INTEGER NOT NULL,
  open_end INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);
-- mstate's intervals (lane: mstate.m).
CREATE TABLE mstate_chunk (lane INTEGER NOT NULL, start_ns INTEGER NOT NULL, last_start INTEGER NOT NULL,
  end_ns INTEGER NOT NULL, max_id INTEGER NOT NULL,
  open_end INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL);

-- Call stacks (weft:stack): a stack id names one sequence of return
-- addresses for the life of the process.
CREATE TABLE stack (
  -- The runtime's stack id (> 0).
  id INTEGER PRIMARY KEY,
  -- Number of frames (the runtime keeps at most 32, innermost first).
  depth INTEGER NOT NULL
);

-- The frames of each stack, innermost (depth 0) first.
CREATE TABLE frame (
  -- The stack (stack.id).
  stack INTEGER NOT NULL,
  -- 0 for the innermost frame.
  depth INTEGER NOT NULL,
  -- Return address (a function entry for goroutine.start_pc); symbol.pc.
  pc INTEGER NOT NULL,
  PRIMARY KEY (stack, depth)
) WITHOUT ROWID;

-- Instruction addresses resolved to source, once per distinct address.
CREATE TABLE symbol (
  -- The address, as recorded.
  pc INTEGER PRIMARY KEY,
  -- Function name (demangled), NULL if unknown.
  function TEXT,
  -- Source file, NULL if unknown.
  file TEXT,
  -- Source line, NULL if unknown.
  line INTEGER,
  -- Path of the object (executable or library) the address is in.
  object TEXT,
  -- Address relative to the object's load base.
  offset INTEGER,
  -- 1 if the address is in the Weft runtime (libweft), which the analyses
  -- skip to find the user's call site.
  runtime INTEGER NOT NULL DEFAULT 0
);

-- Objects loaded in the traced process (lttng_ust_statedump:bin_info),
-- used to symbolise addresses offline.
CREATE TABLE mapping (
  -- Load address.
  base INTEGER PRIMARY KEY,
  -- Size in memory.
  memsz INTEGER NOT NULL,
  -- Path of the file, as the process saw it.
  path TEXT NOT NULL,
  -- 1 if position-independent (addresses are then base-relative).
  is_pic INTEGER NOT NULL,
  -- GNU build id, lower-case hex, NULL if none.
  build_id TEXT,
  -- .gnu_debuglink file name, NULL if none.
  debug_link TEXT
);

-- Events the tracer could not record (babeltrace2's DISCARDED_EVENTS and
-- DISCARDED_PACKETS messages): the state tables are unreliable there.
CREATE TABLE lost (
  -- Row id.
  id INTEGER PRIMARY KEY,
  -- 'events' or 'packets'.
  kind TEXT NOT NULL,
  -- babeltrace2's stream id (one LTTng stream per CPU and channel).
  stream INTEGER,
  -- The stream's name (usually its file), NULL if none.
  stream_name TEXT,
  -- Start of the window in which events were lost, NULL if unknown.
  start_ns INTEGER,
  -- End of that window, NULL if unknown.
  end_ns INTEGER,
  -- Number of events (or packets) lost, NULL if unknown.
  count INTEGER
);

-- User tasks (weft_task_begin / weft_task_end).
CREATE TABLE task (
  -- The task id.
  id INTEGER PRIMARY KEY,
  -- Parent task id, 0 if none.
  parent INTEGER NOT NULL DEFAULT 0,
  -- Task name.
  name TEXT,
  -- Begin, NULL if before the trace.
  start_ns INTEGER,
  -- End, NULL if not ended within the trace.
  end_ns INTEGER,
  -- Goroutine that began it.
  start_goid INTEGER,
  -- Goroutine that ended it.
  end_goid INTEGER
);

-- User regions (weft_region_begin / weft_region_end), per goroutine,
-- properly nested.
CREATE TABLE region (
  -- Row id.
  id INTEGER PRIMARY KEY,
  -- The goroutine it ran on.
  goid INTEGER NOT NULL,
  -- Its task, 0 if none.
  task INTEGER NOT NULL DEFAULT 0,
  -- Region name.
  name TEXT,
  -- Begin (the trace's start if open_start).
  start_ns INTEGER NOT NULL,
  -- End (the trace's end if open_end).
  end_ns INTEGER NOT NULL,
  -- Nesting depth on its goroutine, 0 outermost.
  depth INTEGER NOT NULL DEFAULT 0,
  -- See the header.
  open_start INTEGER NOT NULL DEFAULT 0,
  -- See the header.
  open_end INTEGER NOT NULL DEFAULT 0
);

-- User log messages (weft_log).
CREATE TABLE log (
  -- Row id.
  id INTEGER PRIMARY KEY,
  -- When.
  ts INTEGER NOT NULL,
  -- The goroutine that logged it.
  goid INTEGER NOT NULL,
  -- Its task, 0 if none.
  task INTEGER NOT NULL DEFAULT 0,
  -- Category.
  category TEXT,
  -- Message.
  message TEXT
);

-- GC cycles (weft:gc_begin .. weft:gc_end). A cycle ends when marking is
-- complete, inside the mark termination pause; sweeping follows.
CREATE TABLE gc_cycle (
  -- The cycle number.
  id INTEGER PRIMARY KEY,
  -- Start, ns.
  start_ns INTEGER NOT NULL,
  -- End, ns (NULL if unfinished at trace end).
  end_ns INTEGER,
  -- What triggered it: 'heap', 'forced', 'periodic', 'memory limit'.
  trigger TEXT,
  -- Heap in use (allocated, not proven free) at start, bytes.
  heap_before INTEGER,
  -- Live heap found by marking, bytes.
  heap_after INTEGER,
  -- Heap goal for the next cycle, bytes.
  heap_goal INTEGER,
  -- The goal that triggered this cycle, bytes.
  trigger_goal INTEGER
);

-- Stop-the-world pauses (weft:stw_begin .. stw_end), GC or otherwise.
CREATE TABLE stw (
  -- Row id.
  id INTEGER PRIMARY KEY,
  -- Start, ns: when the world started stopping.
  start_ns INTEGER NOT NULL,
  -- End, ns: when every P runs again.
  end_ns INTEGER NOT NULL,
  -- Why the world stopped (e.g. 'GC mark termination').
  reason TEXT NOT NULL,
  -- The GC cycle it belongs to, NULL if none.
  gc_cycle INTEGER
);

-- GC work spans. kind: 'mark' (a cycle's concurrent mark phase; goid 0, p
-- NULL), 'worker' (a P running a mark worker; mode), 'assist' (a goroutine
-- marking to pay for its allocations), 'sweep' (a P sweeping spans).
CREATE TABLE gc_span (
  -- Row id.
  id INTEGER PRIMARY KEY,
  -- 'mark', 'worker', 'assist' or 'sweep'.
  kind TEXT NOT NULL,
  -- The goroutine doing the work (0: a runtime worker).
  goid INTEGER NOT NULL DEFAULT 0,
  -- The P it ran on.
  p INTEGER,
  -- Start, ns.
  start_ns INTEGER NOT NULL,
  -- End, ns.
  end_ns INTEGER NOT NULL,
  -- The GC cycle (for sweeps: the cycle whose garbage is swept).
  gc_cycle INTEGER,
  -- Mark workers: 'dedicated', 'fractional' or 'idle'.
  mode TEXT,
  -- Bytes scanned (worker, assist) or swept (sweep).
  bytes INTEGER,
  -- Sweeps: bytes freed.
  reclaimed INTEGER,
  -- 1 when the span was still open at the end of the trace.
  open_end INTEGER NOT NULL DEFAULT 0
);

-- Names of the time series in counter_sample.
CREATE TABLE counter (
  -- Counter id.
  id INTEGER PRIMARY KEY,
  -- heap_alloc, heap_goal, goroutines, runnable...
  name TEXT NOT NULL UNIQUE,
  -- 'bytes' or 'count'.
  unit TEXT NOT NULL
);
INSERT INTO counter VALUES
  (1, 'heap_alloc', 'bytes'), (2, 'heap_goal', 'bytes'), (3, 'goroutines', 'count'), (4, 'runnable', 'count');

-- Counter values over time: a value holds until the next sample.
-- heap_alloc and heap_goal are the runtime's (weft:heap_alloc/heap_goal);
-- goroutines and runnable are derived by the recorder, sampled at most
-- once per 50 µs of trace time per counter (the value is then the latest).
CREATE TABLE counter_sample (
  -- The counter (counter.id).
  counter INTEGER NOT NULL,
  -- When, ns.
  ts INTEGER NOT NULL,
  -- Its new value.
  value INTEGER NOT NULL,
  PRIMARY KEY (counter, ts)
) WITHOUT ROWID;

-- Goroutines the GC proved leaked (weft:go_leaked: blocked on objects
-- unreachable from the roots except through other such goroutines, so
-- nothing can ever wake them). The leaks report lists these first, then
-- the heuristic suspects.
CREATE TABLE leaked (
  -- The goroutine.
  goid INTEGER PRIMARY KEY,
  -- When the GC first found it.
  ts INTEGER NOT NULL,
  -- The GC cycle that found it.
  gc_cycle INTEGER,
  -- Where it is blocked (stack.id).
  stack INTEGER,
  -- Why it is blocked (wait_reason.reason).
  wait_reason INTEGER,
  -- The object it waits on (identity only).
  wait_obj INTEGER
);

-- CPU profile samples (Go traces written while CPU profiling ran: Go's
-- EvCPUSample; schema version 2). One row per sample, about one per
-- 10 ms of CPU time at Go's default rate.
CREATE TABLE cpu_sample (
  -- When, ns.
  ts INTEGER NOT NULL,
  -- The goroutine on the CPU, 0 for none (the runtime, or C code).
  goid INTEGER NOT NULL,
  -- The P, -1 for none.
  p INTEGER NOT NULL,
  -- The thread (M).
  m INTEGER NOT NULL,
  -- What it was running (stack.id), NULL if unknown.
  stack INTEGER
);
