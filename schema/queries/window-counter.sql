-- window-counter.sql — a counter of the viewer's charts over [:t0, :t1):
-- the sample in force at :t0, then every sample in the window.
SELECT ts, value FROM (
  SELECT ts, value FROM counter_sample WHERE counter = :counter AND ts < :t0
  ORDER BY ts DESC LIMIT 1)
UNION ALL
SELECT ts, value FROM counter_sample
WHERE counter = :counter AND ts >= :t0 AND ts < :t1
ORDER BY ts;
