-- stats_trend: daily sub-district series for the big screen's sparklines, summed over the given
-- grids: events reported/due/closed per day (kpi_grid_event_day), the visit-coverage snapshot of
-- each day (kpi_grid_visit_day), and the area-weighted share of patrol H3 cells passed that day.
-- params:
--   $1 from_day date
--   $2 to_day date (inclusive)
--   $3 grid_ids integer[]
-- returns rows: day text, events_reported int, events_due int, events_closed int, visit_need int,
--   visit_covered int, patrol_coverage float8 | null
WITH days AS (SELECT d::date AS day FROM generate_series($1::date, $2::date, interval '1 day') d),
ev AS (
  SELECT e.day, sum(e.reported)::int AS reported, sum(e.due)::int AS due, sum(e.closed)::int AS closed
  FROM kpi_grid_event_day e WHERE e.day BETWEEN $1::date AND $2::date AND e.grid_id = ANY ($3::int[]) GROUP BY e.day
),
v AS (
  SELECT v.day, sum(v.need_address + v.need_person)::int AS need, sum(v.covered_address + v.covered_person)::int AS covered
  FROM kpi_grid_visit_day v WHERE v.day BETWEEN $1::date AND $2::date AND v.grid_id = ANY ($3::int[]) GROUP BY v.day
),
cells AS (
  SELECT pc.grid_id, pc.cells, g.area_m2 FROM patrol_grid_cells pc JOIN grid g ON g.id = pc.grid_id
  WHERE pc.grid_id = ANY ($3::int[]) AND pc.cells > 0
),
pat AS (
  SELECT f.day, f.grid_id, sum(f.cells)::float8 AS covered
  FROM patrol_grid_first f
  WHERE f.day BETWEEN $1::date AND $2::date AND f.prev_day < f.day AND f.grid_id = ANY ($3::int[])
  GROUP BY f.day, f.grid_id
),
pd AS (
  SELECT d.day, sum(c.area_m2 * least(1, coalesce(p.covered, 0) / c.cells)) / nullif(sum(c.area_m2), 0) AS coverage
  FROM days d CROSS JOIN cells c LEFT JOIN pat p ON p.day = d.day AND p.grid_id = c.grid_id
  GROUP BY d.day
)
SELECT d.day::text AS day, coalesce(ev.reported, 0) AS events_reported, coalesce(ev.due, 0) AS events_due,
       coalesce(ev.closed, 0) AS events_closed, coalesce(v.need, 0) AS visit_need, coalesce(v.covered, 0) AS visit_covered,
       pd.coverage AS patrol_coverage
FROM days d LEFT JOIN ev USING (day) LEFT JOIN v USING (day) LEFT JOIN pd USING (day)
ORDER BY d.day
