-- goroutine-groups.sql — the timeline's goroutine groups when no search
-- narrows them: one per start function, by name, with how many goroutines
-- it started.
SELECT g.start_pc,
       COALESCE(s.function, printf('0x%x', g.start_pc)) AS start_function,
       g.goroutines
FROM (SELECT start_pc, COUNT(*) AS goroutines FROM goroutine GROUP BY start_pc) AS g
LEFT JOIN symbol AS s ON s.pc = g.start_pc
ORDER BY start_function;
