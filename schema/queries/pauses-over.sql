-- pauses-over.sql — pauses longer than :max_pause_ns, longest first (the
-- `weft report pauses --fail-over` gate).
SELECT id, start_ns, duration_ns, reason, gc_cycle
FROM gc_pauses
WHERE duration_ns > :max_pause_ns
ORDER BY duration_ns DESC;
