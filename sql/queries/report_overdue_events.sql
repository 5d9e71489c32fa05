-- report_overdue_events: 日见面 — events open at an instant whose deadline (the event's own, or the
-- configured one, as the KPI engine computes it in kpi_event) had passed by then. "Open at the
-- instant" uses closed_at, so a past day's report shows what was open then, not now.
-- params:
--   $1 as_of timestamptz
--   $2 grid_ids integer[]
-- returns rows: event_id int, code text, type text, subtype text | null, severity int, state text,
--   title text, grid_id int, grid_name text, community_name text, reported_at timestamptz,
--   due_at timestamptz, overdue_hours float8, escalation_level int
SELECT e.id AS event_id, e.code, e.type, e.subtype, e.severity::int AS severity, e.state, e.title,
       g.id AS grid_id, g.name AS grid_name, c.name AS community_name, e.reported_at, k.due_at,
       round((extract(epoch FROM $1::timestamptz - k.due_at) / 3600)::numeric, 1)::float8 AS overdue_hours,
       e.escalation_level::int AS escalation_level
FROM kpi_event k
JOIN event e ON e.id = k.event_id
JOIN grid g ON g.id = e.grid_id
JOIN community c ON c.id = g.community_id
WHERE NOT k.cancelled AND k.grid_id = ANY ($2::int[])
  AND k.reported_at <= $1::timestamptz AND (k.closed_at IS NULL OR k.closed_at > $1::timestamptz)
  AND k.due_at < $1::timestamptz
ORDER BY k.due_at, e.id
