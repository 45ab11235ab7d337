-- goroutine-details.sql — what the viewer shows for goroutine :goid around
-- :ts: who made it and where, and its state interval at :ts with what
-- blocked it next, who woke it and when. (item, value) rows like summary;
-- the stacks are goroutine-stacks.sql, the links goroutine-related.sql.
WITH g AS (SELECT * FROM goroutine_info WHERE goid = :goid),
     now AS (SELECT * FROM gstate WHERE goid = :goid AND start_ns <= :ts AND end_ns >= :ts
             ORDER BY start_ns DESC LIMIT 1),
     next_block AS (SELECT s.*, COALESCE(r.name, 'reason ' || s.wait_reason) AS reason_name,
                           COALESCE(ws.site, 'unknown') AS site
                    FROM gstate AS s
                    LEFT JOIN wait_reason AS r ON r.reason = s.wait_reason
                    LEFT JOIN _stack_site AS ws ON ws.stack = s.stack
                    WHERE s.goid = :goid AND s.state = 2 AND s.start_ns >= (SELECT start_ns FROM now)
                    ORDER BY s.start_ns LIMIT 1)
SELECT 'goroutine' AS item, (SELECT goid FROM g) AS value
UNION ALL SELECT 'name', (SELECT name FROM g)
UNION ALL SELECT 'start function', (SELECT start_function FROM g)
UNION ALL SELECT 'created by goroutine', (SELECT parent FROM g)
UNION ALL SELECT 'created at', (SELECT create_site FROM g)
UNION ALL SELECT 'created_ns', (SELECT created_ns FROM g)
UNION ALL SELECT 'ended_ns', (SELECT ended_ns FROM g)
UNION ALL SELECT 'state', (SELECT st.name FROM now JOIN state AS st ON st.state = now.state)
UNION ALL SELECT 'since_ns', (SELECT start_ns FROM now)
UNION ALL SELECT 'for_ns', (SELECT end_ns - start_ns FROM now)
UNION ALL SELECT 'then blocked on', (SELECT reason_name FROM next_block)
UNION ALL SELECT 'blocked at', (SELECT site FROM next_block)
UNION ALL SELECT 'blocked_for_ns', (SELECT end_ns - start_ns FROM next_block)
UNION ALL SELECT 'woken by goroutine', (SELECT unblocked_by FROM next_block)
UNION ALL SELECT 'woken_at_ns', (SELECT CASE WHEN open_end = 0 THEN end_ns END FROM next_block);
