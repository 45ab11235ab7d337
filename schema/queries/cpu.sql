-- cpu.sql — where the CPU went (Go traces with CPU profile samples):
-- functions by samples in which they were running, then by samples in
-- which they were on the stack.
SELECT function, self_samples, self_pct, total_samples, total_pct
FROM cpu_profile
ORDER BY self_samples DESC, total_samples DESC, function
LIMIT :limit;
