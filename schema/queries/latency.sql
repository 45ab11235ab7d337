-- latency.sql — scheduler latency (runnable -> running): overall
-- distribution first, then per start function, worst p99 first.
WITH ranked AS (
  SELECT i.start_function AS f, l.latency_ns AS l,
         ROW_NUMBER() OVER (PARTITION BY i.start_function ORDER BY l.latency_ns) AS rn,
         COUNT(*) OVER (PARTITION BY i.start_function) AS n
  FROM sched_latency AS l JOIN goroutine_info AS i ON i.goid = l.goid),
per_function AS (
  SELECT f AS scope, COUNT(*) AS count, MIN(l) AS min_ns, CAST(AVG(l) AS INTEGER) AS mean_ns,
         MIN(l) FILTER (WHERE rn * 100 >= n * 50) AS p50_ns,
         MIN(l) FILTER (WHERE rn * 100 >= n * 90) AS p90_ns,
         MIN(l) FILTER (WHERE rn * 100 >= n * 99) AS p99_ns,
         MIN(l) FILTER (WHERE rn * 1000 >= n * 999) AS p999_ns,
         MAX(l) AS max_ns
  FROM ranked GROUP BY f)
SELECT * FROM (SELECT 'all' AS scope, count, min_ns, mean_ns, p50_ns, p90_ns, p99_ns, p999_ns, max_ns
               FROM sched_latency_summary)
UNION ALL
SELECT * FROM (SELECT * FROM per_function ORDER BY p99_ns DESC, scope LIMIT :limit);
