-- slice-at.sql — the slice the viewer's user clicked: what P :p ran at :t
-- (the last running interval starting at or before :t, if it has not
-- ended), with its state.
SELECT * FROM (
  SELECT goid, start_ns, end_ns, state FROM gstate
  WHERE state = 0 AND p = :p AND start_ns <= :t
  ORDER BY start_ns DESC LIMIT 1)
WHERE end_ns > :t;
