-- window-lod-counter.sql — a counter's level-of-detail buckets
-- (weft-lod.sql) at :level that meet buckets [:b0, :b1], as samples (ts,
-- value): each bucket's largest value, from the bucket's start.
SELECT bucket << :level, key
FROM lod_bucket
WHERE lane = :lane AND level = :level AND bucket >= :b0 AND bucket <= :b1
ORDER BY bucket;
