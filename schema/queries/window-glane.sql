-- window-glane.sql — a goroutine lane of the viewer: goroutine :goid's
-- states during [:t0, :t1) as (start, end, key). The key is :start_pc
-- when running (coloured by start function), else state << 56, plus for
-- blocked states the reason's category (1 chan, 2 sync, 3 net, 4 sleep,
-- 5 gc, 6 other).
SELECT * FROM (
  SELECT s.start_ns, s.end_ns,
         CASE s.state WHEN 0 THEN :start_pc
                      WHEN 2 THEN (2 << 56) + CASE r.category WHEN 'chan' THEN 1 WHEN 'sync' THEN 2
                                    WHEN 'net' THEN 3 WHEN 'sleep' THEN 4 WHEN 'gc' THEN 5 ELSE 6 END
                      ELSE s.state << 56 END
  FROM gstate AS s LEFT JOIN wait_reason AS r ON r.reason = s.wait_reason
  WHERE s.goid = :goid AND s.start_ns < :t0
  ORDER BY s.start_ns DESC LIMIT 1)
UNION ALL
SELECT s.start_ns, s.end_ns,
       CASE s.state WHEN 0 THEN :start_pc
                    WHEN 2 THEN (2 << 56) + CASE r.category WHEN 'chan' THEN 1 WHEN 'sync' THEN 2
                                  WHEN 'net' THEN 3 WHEN 'sleep' THEN 4 WHEN 'gc' THEN 5 ELSE 6 END
                    ELSE s.state << 56 END
FROM gstate AS s LEFT JOIN wait_reason AS r ON r.reason = s.wait_reason
WHERE s.goid = :goid AND s.start_ns >= :t0 AND s.start_ns < :t1
ORDER BY 1;
