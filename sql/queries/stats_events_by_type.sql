-- stats_events_by_type: event closure KPIs (动态事件流转办结率) by event type for grids,
-- communities or sub-districts, several units in one pass (the sub-district summary of the whole
-- city asks for 30). Cohort: events (not cancelled) whose deadline falls in the window.
-- params:
--   $1 level text (grid | community | subdistrict)
--   $2 unit_ids integer[]
--   $3 from_day date
--   $4 to_day date (inclusive)
--   $5 as_of timestamptz (open events due before this are overdue)
--   $6 grid_ids integer[] | null (only these grids; null = all)
-- returns rows: unit_id int, type text, reported int, due int, closed int, on_time int,
--   overdue_open int, median_close_hours float8 | null (ordered by unit_id, type)
WITH gg AS (
  SELECT g.id AS grid_id, CASE $1::text WHEN 'grid' THEN g.id WHEN 'community' THEN g.community_id ELSE c.subdistrict_id END AS unit_id
  FROM grid g JOIN community c ON c.id = g.community_id
  WHERE CASE $1::text WHEN 'grid' THEN g.id WHEN 'community' THEN g.community_id ELSE c.subdistrict_id END = ANY ($2::int[])
    AND ($6::int[] IS NULL OR g.id = ANY ($6::int[]))
),
d AS (
  SELECT gg.unit_id, e.type, sum(e.reported)::int AS reported, sum(e.due)::int AS due, sum(e.closed)::int AS closed,
         sum(e.on_time)::int AS on_time
  FROM kpi_grid_event_day e JOIN gg USING (grid_id)
  WHERE e.day BETWEEN $3::date AND $4::date GROUP BY gg.unit_id, e.type
),
m AS (
  SELECT gg.unit_id, e.type,
         count(*) FILTER (WHERE e.closed_at IS NULL AND e.due_at < $5::timestamptz)::int AS overdue_open,
         (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.closed_at - e.reported_at))
            FILTER (WHERE e.closed_at IS NOT NULL)) / 3600 AS median_close_hours
  FROM kpi_event e JOIN gg USING (grid_id)
  WHERE NOT e.cancelled AND e.due_day BETWEEN $3::date AND $4::date GROUP BY gg.unit_id, e.type
)
SELECT d.unit_id, d.type, d.reported, d.due, d.closed, d.on_time, coalesce(m.overdue_open, 0) AS overdue_open, m.median_close_hours
FROM d LEFT JOIN m USING (unit_id, type)
ORDER BY d.unit_id, d.type
