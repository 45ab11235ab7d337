-- goroutine-related.sql — the goroutines linked to goroutine :goid around
-- :ts, for the viewer's details: its creator ('creator', ts = the
-- creation), who woke it from its blocked interval at or after :ts
-- ('woken by', ts = the wake-up), and the first 50 goroutines it created
-- ('created', ts = their creation). 0 (the runtime) is left out.
WITH now AS (SELECT start_ns FROM gstate WHERE goid = :goid AND start_ns <= :ts AND end_ns >= :ts
             ORDER BY start_ns DESC LIMIT 1),
     waker AS (SELECT unblocked_by AS goid, end_ns AS ts FROM gstate
               WHERE goid = :goid AND state = 2 AND start_ns >= (SELECT start_ns FROM now) AND open_end = 0
               ORDER BY start_ns LIMIT 1)
SELECT 'creator' AS relation, i.goid, i.start_function, g.created_ns AS ts_ns
FROM goroutine AS g JOIN goroutine_info AS i ON i.goid = g.parent
WHERE g.goid = :goid AND g.parent <> 0
UNION ALL
SELECT 'woken by', i.goid, i.start_function, waker.ts
FROM waker JOIN goroutine_info AS i ON i.goid = waker.goid
WHERE waker.goid <> 0
UNION ALL
SELECT * FROM (SELECT 'created', i.goid, i.start_function, i.created_ns
               FROM goroutine_info AS i WHERE i.parent = :goid ORDER BY i.goid LIMIT 50);
