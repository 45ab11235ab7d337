-- window-task.sql — the viewer's task lane: user tasks meeting [:t0,
-- :t1), keyed by id (tasks begun before or unfinished within the trace
-- reach its edge). Tasks are few: no index.
SELECT COALESCE(start_ns, :t0), COALESCE(end_ns, :t1), id
FROM task
WHERE COALESCE(start_ns, :t0) < :t1 AND COALESCE(end_ns, :t1) > :t0;
