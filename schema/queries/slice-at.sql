-- slice-at.sql — the slice the viewer's user clicked: what P :p ran at :t
-- (the last interval starting at or before :t, if it has not ended).
SELECT * FROM (
  SELECT goid, start_ns, end_ns FROM pstate
  WHERE p = :p AND start_ns <= :t
  ORDER BY start_ns DESC LIMIT 1)
WHERE end_ns > :t;
