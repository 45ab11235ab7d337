-- pauses.sql — stop-the-world pauses, longest first.
SELECT id, start_ns, duration_ns, reason, gc_cycle
FROM gc_pauses
ORDER BY duration_ns DESC
LIMIT :limit;
