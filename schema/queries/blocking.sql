-- blocking.sql — blocking profile: where goroutines wait longest.
SELECT wait_reason_name, category, block_site, stack, count, still_blocked, total_ns, avg_ns, max_ns
FROM blocking_profile
ORDER BY total_ns DESC, count DESC
LIMIT :limit;
