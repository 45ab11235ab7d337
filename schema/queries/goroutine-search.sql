-- goroutine-search.sql — the goroutines the viewer's search shows as
-- lanes: :query is a goroutine id, part of a start function or name, or
-- a state at the end of the trace ('blocked', 'runnable'…); grouped by
-- start function, at most :limit.
SELECT g.goid,
       COALESCE(s.function, printf('0x%x', g.start_pc)) AS start_function,
       g.start_pc,
       g.name
FROM goroutine AS g
LEFT JOIN symbol AS s ON s.pc = g.start_pc
WHERE CAST(g.goid AS TEXT) = :query
   OR COALESCE(s.function, printf('0x%x', g.start_pc)) LIKE '%' || :query || '%'
   OR g.name LIKE '%' || :query || '%'
   OR g.final_state = (SELECT state FROM state WHERE name = :query)
ORDER BY start_function, g.goid
LIMIT :limit;
