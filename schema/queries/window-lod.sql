-- window-lod.sql — a lane's level-of-detail buckets (weft-lod.sql) at
-- :level that meet buckets [:b0, :b1], as (start, end, key, cover): the
-- timeline folds them into pixel columns like intervals, each counting
-- for the part of the bucket its key covers.
SELECT bucket << :level, (bucket + 1) << :level, key, cover
FROM lod_bucket
WHERE lane = :lane AND level = :level AND bucket >= :b0 AND bucket <= :b1
ORDER BY bucket;
