-- pause-histogram.sql — stop-the-world pauses by duration, in buckets
-- [lo_ns, hi_ns) whose bounds step 1, 2, 5 x 10^k ns (a log scale), from
-- the bucket of the shortest pause to that of the longest; empty buckets
-- in between are kept so that the bars form an axis. No rows without
-- pauses.
WITH RECURSIVE step (lo) AS (
  SELECT 1
  UNION ALL
  SELECT CASE WHEN substr(CAST(lo AS TEXT), 1, 1) = '2' THEN lo * 5 / 2 ELSE lo * 2 END
  FROM step WHERE lo < 100000000000),
edge (lo) AS (SELECT 0 UNION ALL SELECT lo FROM step),
bucket AS (SELECT lo, LEAD(lo) OVER (ORDER BY lo) AS hi FROM edge),
span AS (SELECT MIN(duration_ns) AS lo, MAX(duration_ns) AS hi FROM gc_pauses)
SELECT b.lo AS lo_ns, b.hi AS hi_ns,
       (SELECT COUNT(*) FROM gc_pauses AS p WHERE p.duration_ns >= b.lo AND p.duration_ns < b.hi) AS pauses
FROM bucket AS b, span
WHERE b.hi IS NOT NULL AND b.hi > span.lo AND b.lo <= span.hi
ORDER BY b.lo;
