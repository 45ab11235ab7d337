-- goroutine-lane.sql — one goroutine as the viewer's search lists it
-- (goroutine-search.sql's columns), looked up by id for a reveal.
SELECT g.goid,
       COALESCE(s.function, printf('0x%x', g.start_pc)) AS start_function,
       g.start_pc,
       g.name
FROM goroutine AS g
LEFT JOIN symbol AS s ON s.pc = g.start_pc
WHERE g.goid = :goid;
