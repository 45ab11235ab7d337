-- mmu.sql — minimum mutator utilization for windows from 1 ms to 1 s:
-- counting pauses only (mmu), and pauses plus the Ps taken by mark
-- workers and assists (mmu_gc, go tool trace's default).
SELECT m.window_ns, m.mmu, g.mmu AS mmu_gc
FROM mmu AS m JOIN mmu_gc AS g USING (window_ns)
ORDER BY m.window_ns;
