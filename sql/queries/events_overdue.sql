-- events_overdue: events past their deadline that have not been escalated since (the scheduler
-- escalates each one level).
-- params:
--   $1 now timestamptz
--   $2 row_limit int
-- returns rows: id int, version int, state text, escalation_level int, severity int, complexity text, grid_id int, code text, title text, type text
SELECT e.id, e.version, e.state, e.escalation_level, e.severity, e.complexity, e.grid_id, e.code, e.title, e.type
FROM event e
WHERE e.state NOT IN ('closed', 'cancelled', 'resolved')
  AND e.due_at < $1::timestamptz
ORDER BY e.due_at
LIMIT $2::int
