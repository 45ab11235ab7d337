-- window-start-pc.sql — the start function of goroutine :goid, which keys
-- the P lanes of the viewer (window-pstate.sql gives the goroutine; the
-- viewer keeps what it looked up, as a P runs the same few goroutines
-- over and over).
SELECT start_pc FROM goroutine WHERE goid = :goid;
