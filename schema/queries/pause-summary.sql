-- pause-summary.sql — stop-the-world pause distribution, all pauses first,
-- then per reason.
SELECT reason, count, total_ns, mean_ns, p50_ns, p90_ns, p99_ns, max_ns
FROM gc_pause_summary;
