-- goroutine-stacks.sql — the stacks of goroutine :goid around :ts, frame
-- by frame, innermost first: where it was created ('created'), and where
-- it blocked in its state interval at :ts or, if it was not blocked then,
-- the next time it blocked ('blocked'). Unsymbolised frames have NULL
-- function/file/line; runtime = 1 marks frames inside the Weft runtime.
WITH now AS (SELECT start_ns FROM gstate WHERE goid = :goid AND start_ns <= :ts AND end_ns >= :ts
             ORDER BY start_ns DESC LIMIT 1),
     blocked AS (SELECT stack FROM gstate
                 WHERE goid = :goid AND state = 2 AND start_ns >= (SELECT start_ns FROM now)
                 ORDER BY start_ns LIMIT 1)
SELECT 'created' AS kind, f.depth, printf('0x%x', f.pc) AS pc, f.function, f.file, f.line,
       COALESCE(f.runtime, 0) AS runtime
FROM goroutine AS g JOIN stack_frame AS f ON f.stack = g.create_stack
WHERE g.goid = :goid
UNION ALL
SELECT 'blocked', f.depth, printf('0x%x', f.pc), f.function, f.file, f.line, COALESCE(f.runtime, 0)
FROM blocked JOIN stack_frame AS f ON f.stack = blocked.stack
ORDER BY 1 DESC, 2;
