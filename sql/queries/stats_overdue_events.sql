-- stats_overdue_events: events of a grid due in the window that were not closed on time: still
-- open past their deadline, or closed late. Capped, most overdue first.
-- params:
--   $1 grid_id integer
--   $2 from_day date
--   $3 to_day date (inclusive)
--   $4 as_of timestamptz
--   $5 row_limit integer
-- returns rows: event_id int, code text, type text, severity int, state text, reported_at timestamptz,
--   due_at timestamptz, closed_at timestamptz | null, overdue_hours float8, total int (before the cap)
SELECT k.event_id, e.code, k.type, e.severity::int AS severity, e.state, k.reported_at, k.due_at, k.closed_at,
       extract(epoch FROM coalesce(k.closed_at, $4::timestamptz) - k.due_at) / 3600 AS overdue_hours,
       (count(*) OVER ())::int AS total
FROM kpi_event k JOIN event e ON e.id = k.event_id
WHERE k.grid_id = $1::int AND NOT k.cancelled AND k.due_day BETWEEN $2::date AND $3::date
  AND ((k.closed_at IS NULL AND k.due_at < $4::timestamptz) OR k.closed_at > k.due_at)
ORDER BY overdue_hours DESC, k.event_id
LIMIT $5::int
