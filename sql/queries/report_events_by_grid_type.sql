-- report_events_by_grid_type: 日见面 — events reported in a time range (not cancelled), counted per
-- grid and type, for the given grids.
-- params:
--   $1 from_ts timestamptz (inclusive)
--   $2 to_ts timestamptz (exclusive)
--   $3 grid_ids integer[] (the report's grids, already limited to the caller's jurisdiction)
-- returns rows: grid_id int, grid_code text, grid_name text, community_id int, community_name text,
--   type text, events int
SELECT g.id AS grid_id, g.code AS grid_code, g.name AS grid_name, c.id AS community_id, c.name AS community_name,
       e.type, count(*)::int AS events
FROM event e
JOIN grid g ON g.id = e.grid_id
JOIN community c ON c.id = g.community_id
WHERE e.reported_at >= $1::timestamptz AND e.reported_at < $2::timestamptz
  AND e.state <> 'cancelled' AND e.grid_id = ANY ($3::int[])
GROUP BY g.id, g.code, g.name, c.id, c.name, e.type
ORDER BY c.name, g.code, e.type
