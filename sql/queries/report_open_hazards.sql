-- report_open_hazards: 周研判 risk list — hazards (风险隐患) open at an instant, oldest first, with
-- no free text (the list is shown to analysts too).
-- params:
--   $1 as_of timestamptz
--   $2 grid_ids integer[]
-- returns rows: event_id int, code text, subtype text | null, severity int, state text, grid_id int,
--   grid_name text, community_name text, reported_at timestamptz, due_at timestamptz, overdue bool,
--   days_open float8
SELECT e.id AS event_id, e.code, e.subtype, e.severity::int AS severity, e.state, g.id AS grid_id, g.name AS grid_name,
       c.name AS community_name, e.reported_at, k.due_at, k.due_at < $1::timestamptz AS overdue,
       round((extract(epoch FROM $1::timestamptz - e.reported_at) / 86400)::numeric, 1)::float8 AS days_open
FROM kpi_event k
JOIN event e ON e.id = k.event_id
JOIN grid g ON g.id = e.grid_id
JOIN community c ON c.id = g.community_id
WHERE k.type = 'hazard' AND NOT k.cancelled AND k.grid_id = ANY ($2::int[])
  AND k.reported_at <= $1::timestamptz AND (k.closed_at IS NULL OR k.closed_at > $1::timestamptz)
ORDER BY e.reported_at, e.id
