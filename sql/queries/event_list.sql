-- event_list: events filtered by time, type, state, severity and grid/community, newest first,
-- capped. Runs as the caller's scoped role, so only events of their grids come back.
-- params:
--   $1 from timestamptz | null
--   $2 to timestamptz | null
--   $3 types text[] | null
--   $4 states text[] | null
--   $5 min_severity int | null
--   $6 grid_id int | null
--   $7 community_id int | null
--   $8 overdue_only bool
--   $9 now timestamptz
--   $10 row_limit int
-- returns rows: id, code, type, subtype, severity, complexity, state, title, grid_id, reported_at,
--   due_at, closed_at, escalation_level, version, lon, lat, overdue bool
SELECT e.id, e.code, e.type, e.subtype, e.severity, e.complexity, e.state, e.title, e.grid_id, e.reported_at,
       e.due_at, e.closed_at, e.escalation_level, e.version,
       round(ST_X(e.geom)::numeric, 7)::float8 AS lon, round(ST_Y(e.geom)::numeric, 7)::float8 AS lat,
       (e.state NOT IN ('closed', 'cancelled', 'resolved') AND e.due_at < $9::timestamptz) AS overdue
FROM event e
WHERE ($1::timestamptz IS NULL OR e.reported_at >= $1::timestamptz)
  AND ($2::timestamptz IS NULL OR e.reported_at < $2::timestamptz)
  AND ($3::text[] IS NULL OR e.type = ANY ($3::text[]))
  AND ($4::text[] IS NULL OR e.state = ANY ($4::text[]))
  AND ($5::int IS NULL OR e.severity >= $5::int)
  AND ($6::int IS NULL OR e.grid_id = $6::int)
  AND ($7::int IS NULL OR e.grid_id IN (SELECT g.id FROM grid g WHERE g.community_id = $7::int))
  AND (NOT $8::bool OR (e.state NOT IN ('closed', 'cancelled', 'resolved') AND e.due_at < $9::timestamptz))
ORDER BY e.reported_at DESC, e.id DESC
LIMIT $10::int
