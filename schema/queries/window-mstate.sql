-- window-mstate.sql — an M (thread) lane of the viewer: what thread :m
-- did during [:t0, :t1), keyed by state (0 running a goroutine, 3 in a
-- system call, 4 idle; parked threads show nothing). Two searches of the
-- M's chunks (mstate_chunk); the rows come in no promised order.
SELECT * FROM (
  SELECT start_ns, end_ns, state FROM mstate
  WHERE m = :m AND start_ns < :t0
  ORDER BY start_ns DESC LIMIT 1)
WHERE state <> 5
UNION ALL
SELECT start_ns, end_ns, state FROM mstate
WHERE m = :m AND start_ns >= :t0 AND start_ns < :t1 AND state <> 5;
