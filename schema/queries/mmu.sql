-- mmu.sql — minimum mutator utilization for windows from 1 ms to 1 s.
SELECT window_ns, mmu FROM mmu;
