-- goroutine-group.sql — the goroutines of one timeline group (start
-- function :start_pc) when it is expanded: the first :limit by id.
SELECT goid, name
FROM goroutine
WHERE start_pc = :start_pc
ORDER BY goid
LIMIT :limit;
