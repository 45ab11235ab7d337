-- window-stw.sql — the viewer's STW lane: pauses meeting [:t0, :t1) as
-- (start, end, key 1); :from = :t0 minus the longest pause bounds the
-- index scan.
SELECT start_ns, end_ns, 1 FROM stw
WHERE start_ns >= :from AND start_ns < :t1 AND end_ns > :t0
ORDER BY start_ns;
