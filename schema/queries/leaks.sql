-- leaks.sql — leak suspects: goroutines still blocked at the end of the
-- trace for at least :min_blocked_ns, grouped by creation site and blocking
-- site. Proven leaks (table leaked) come first with kind 'leaked'.
SELECT 'leaked' AS kind, create_site, block_site, 'GC: unreachable' AS wait_reason,
       COUNT(*) AS goroutines, NULL AS min_blocked_ns, NULL AS max_blocked_ns,
       group_concat(goid, ' ') AS goids
FROM leaked_goroutines
GROUP BY create_site, block_site
UNION ALL
SELECT 'suspect', create_site, block_site, wait_reason_name,
       COUNT(*), MIN(blocked_ns), MAX(blocked_ns), group_concat(goid, ' ')
FROM (SELECT * FROM leak_candidates
      WHERE blocked_ns >= :min_blocked_ns
        AND goid NOT IN (SELECT goid FROM leaked)
      ORDER BY goid)
GROUP BY create_site, block_site, wait_reason
ORDER BY kind, 5 DESC, create_site;
