-- at-gstate.sql — the viewer's sampling of a busy goroutine lane: the
-- state of goroutine :goid at :t (the last interval starting at or before
-- it, if it ends after :t), keyed as in window-glane.sql.
SELECT s.end_ns,
       CASE s.state WHEN 0 THEN :start_pc
                    WHEN 2 THEN (2 << 56) + CASE r.category WHEN 'chan' THEN 1 WHEN 'sync' THEN 2
                                  WHEN 'net' THEN 3 WHEN 'sleep' THEN 4 WHEN 'gc' THEN 5 ELSE 6 END
                    ELSE s.state << 56 END
FROM (SELECT * FROM gstate WHERE goid = :goid AND start_ns <= :t ORDER BY start_ns DESC LIMIT 1) AS s
LEFT JOIN wait_reason AS r ON r.reason = s.wait_reason;
