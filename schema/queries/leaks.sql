-- leaks.sql — leak suspects: goroutines still blocked at the end of the
-- trace for at least :min_blocked_ns, grouped by creation site and blocking
-- site. Proven leaks (table leaked) come first with kind 'leaked'. The
-- growth column is the net change of the creation site's live goroutines
-- per second of trace, trend their least-squares slope per second
-- (site_growth).
SELECT l.*, ROUND(g.growth_per_s, 3) AS growth_per_s, ROUND(g.trend_per_s, 3) AS trend_per_s
FROM (
  SELECT 'leaked' AS kind, create_site, block_site, wait_reason_name AS wait_reason,
         COUNT(*) AS goroutines, NULL AS min_blocked_ns, NULL AS max_blocked_ns,
         group_concat(goid, ' ') AS goids
  FROM (SELECT * FROM leaked_goroutines ORDER BY goid)
  GROUP BY create_site, block_site, wait_reason_name
  UNION ALL
  SELECT 'suspect', create_site, block_site, wait_reason_name,
         COUNT(*), MIN(blocked_ns), MAX(blocked_ns), group_concat(goid, ' ')
  FROM (SELECT * FROM leak_candidates
        WHERE blocked_ns >= :min_blocked_ns
          AND goid NOT IN (SELECT goid FROM leaked)
        ORDER BY goid)
  GROUP BY create_site, block_site, wait_reason) AS l
LEFT JOIN site_growth AS g ON g.create_site = l.create_site
ORDER BY l.kind, l.goroutines DESC, l.create_site;
