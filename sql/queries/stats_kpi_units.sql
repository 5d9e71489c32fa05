-- stats_kpi_units: communities or sub-districts with the one KPI that cannot be summed from grid
-- rows: the median time to close of their events (due in the window, closed).
-- params:
--   $1 level text (community | subdistrict)
--   $2 from_day date
--   $3 to_day date (inclusive)
--   $4 grid_ids integer[] | null (only events of these grids; null = all)
-- returns rows: unit_id int, code text, name text, parent_id int | null, median_close_hours float8 | null
WITH units AS (
  SELECT id AS unit_id, code, name, subdistrict_id AS parent_id FROM community WHERE $1::text = 'community'
  UNION ALL
  SELECT id, code, name, NULL::int FROM subdistrict WHERE $1::text = 'subdistrict'
),
m AS (
  SELECT CASE WHEN $1::text = 'community' THEN g.community_id ELSE c.subdistrict_id END AS unit_id,
         (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.closed_at - e.reported_at))) / 3600 AS median_h
  FROM kpi_event e JOIN grid g ON g.id = e.grid_id JOIN community c ON c.id = g.community_id
  WHERE NOT e.cancelled AND e.closed_at IS NOT NULL AND e.due_day BETWEEN $2::date AND $3::date
    AND ($4::int[] IS NULL OR e.grid_id = ANY ($4::int[]))
  GROUP BY 1
)
SELECT u.unit_id, u.code, u.name, u.parent_id, m.median_h AS median_close_hours
FROM units u LEFT JOIN m USING (unit_id)
ORDER BY u.unit_id
