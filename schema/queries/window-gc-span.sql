-- window-gc-span.sql — a GC work lane of the viewer: the gc_span rows of
-- :kind ('worker', 'assist' or 'sweep') meeting [:t0, :t1), as (start,
-- end, key): mark workers keyed by mode (1 dedicated, 2 fractional,
-- 3 idle), the others 1. Spans of several Ps overlap: the viewer shows
-- what covers most of each pixel column. :from = :t0 minus the longest
-- span bounds the index scan (gc_span_kind_start).
SELECT start_ns, end_ns,
       CASE mode WHEN 'dedicated' THEN 1 WHEN 'fractional' THEN 2 WHEN 'idle' THEN 3 ELSE 1 END
FROM gc_span
WHERE kind = :kind AND start_ns >= :from AND start_ns < :t1 AND end_ns > :t0;
