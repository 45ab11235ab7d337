-- latency.sql — scheduler latency (runnable -> running): overall
-- distribution first, then per start function, worst p99 first. Ranks
-- are running sums over the count of each distinct latency per start
-- function (see sched_latency_summary), not a sort of every wait.
WITH counts AS (
  SELECT g.start_pc AS pc, l.latency_ns AS l, COUNT(*) AS c
  FROM sched_latency AS l JOIN goroutine AS g ON g.goid = l.goid
  GROUP BY pc, l),
functions AS (
  SELECT c.pc, COALESCE(s.function, printf('0x%x', c.pc)) AS f
  FROM (SELECT DISTINCT pc FROM counts) AS c LEFT JOIN symbol AS s ON s.pc = c.pc),
by_function AS (
  SELECT f, l, SUM(c) AS c FROM counts JOIN functions USING (pc) GROUP BY f, l),
cum AS (
  SELECT f, l, SUM(c) OVER (PARTITION BY f ORDER BY l) AS upto, SUM(c) OVER (PARTITION BY f) AS n,
         SUM(l * c) OVER (PARTITION BY f) AS total
  FROM by_function),
per_function AS (
  SELECT f AS scope, MAX(n) AS count, MIN(l) AS min_ns, CAST(CAST(MAX(total) AS REAL) / MAX(n) AS INTEGER) AS mean_ns,
         MIN(l) FILTER (WHERE upto * 100 >= n * 50) AS p50_ns,
         MIN(l) FILTER (WHERE upto * 100 >= n * 90) AS p90_ns,
         MIN(l) FILTER (WHERE upto * 100 >= n * 99) AS p99_ns,
         MIN(l) FILTER (WHERE upto * 1000 >= n * 999) AS p999_ns,
         MAX(l) AS max_ns
  FROM cum GROUP BY f)
SELECT * FROM (SELECT 'all' AS scope, count, min_ns, mean_ns, p50_ns, p90_ns, p99_ns, p999_ns, max_ns
               FROM sched_latency_summary)
UNION ALL
SELECT * FROM (SELECT * FROM per_function ORDER BY p99_ns DESC, scope LIMIT :limit);
