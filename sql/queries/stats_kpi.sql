-- stats_kpi: the KPI table (警网融合考核指标) for a day window, one row per grid, community or
-- sub-district, read from the maintained aggregates of migration 00007 (no spatial join).
-- Rollups add counts and weight patrol coverage by grid area, never average rates.
-- params:
--   $1 level text (grid | community | subdistrict)
--   $2 from_day date (first day of the window, local days in config.timezone)
--   $3 to_day date (last day, inclusive; visit coverage is the snapshot at its end)
--   $4 as_of timestamptz (open events due before this are overdue)
--   $5 unit_id integer | null (only this grid/community/sub-district)
--   $6 grid_ids integer[] | null (only these grids: the caller's jurisdiction; null = all)
-- returns rows: unit_id int, code text, name text, parent_id int | null, grids int, area_m2 float8,
--   addresses int, registered int,
--   visit_need_address int, visit_covered_address int, visit_need_person int, visit_covered_person int,
--   events_reported int, events_due int, events_closed int, events_on_time int, events_overdue_open int,
--   median_close_hours float8 | null,
--   patrol_cells int, patrol_cells_covered int, patrol_coverage float8 | null (area-weighted share),
--   key_locations int, key_locations_covered int
WITH g AS (
  SELECT g.id AS grid_id, g.area_m2,
         CASE $1::text WHEN 'grid' THEN g.id WHEN 'community' THEN g.community_id ELSE c.subdistrict_id END AS unit_id
  FROM grid g JOIN community c ON c.id = g.community_id
  WHERE $6::int[] IS NULL OR g.id = ANY ($6::int[])
),
gg AS (SELECT * FROM g WHERE $5::int IS NULL OR unit_id = $5::int),
units AS (SELECT unit_id, count(*)::int AS grids, sum(area_m2) AS area_m2 FROM gg GROUP BY unit_id),
reg AS (
  SELECT gg.unit_id, sum(a.addresses)::int AS addresses, sum(a.registered)::int AS registered
  FROM kpi_grid_address a JOIN gg USING (grid_id) GROUP BY gg.unit_id
),
vis AS (
  SELECT gg.unit_id, sum(v.need_address)::int AS na, sum(v.covered_address)::int AS ca,
         sum(v.need_person)::int AS np, sum(v.covered_person)::int AS cp
  FROM kpi_grid_visit_day v JOIN gg USING (grid_id) WHERE v.day = $3::date GROUP BY gg.unit_id
),
ev AS (
  SELECT gg.unit_id, sum(e.reported)::int AS reported, sum(e.due)::int AS due, sum(e.closed)::int AS closed,
         sum(e.on_time)::int AS on_time
  FROM kpi_grid_event_day e JOIN gg USING (grid_id)
  WHERE e.day BETWEEN $2::date AND $3::date GROUP BY gg.unit_id
),
ev2 AS (
  SELECT gg.unit_id,
         (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.closed_at - e.reported_at))
            FILTER (WHERE e.closed_at IS NOT NULL)) / 3600 AS median_h,
         count(*) FILTER (WHERE e.closed_at IS NULL AND e.due_at < $4::timestamptz)::int AS overdue_open
  FROM kpi_event e JOIN gg USING (grid_id)
  WHERE NOT e.cancelled AND e.due_day BETWEEN $2::date AND $3::date GROUP BY gg.unit_id
),
pat AS (
  SELECT f.grid_id, sum(f.cells)::int AS covered
  FROM patrol_grid_first f
  WHERE f.day BETWEEN $2::date AND $3::date AND f.prev_day < $2::date
  GROUP BY f.grid_id
),
patu AS (
  SELECT gg.unit_id, sum(pc.cells)::int AS cells, sum(coalesce(p.covered, 0))::int AS covered,
         sum(gg.area_m2 * coalesce(p.covered, 0)::float8 / pc.cells) FILTER (WHERE pc.cells > 0)
           / nullif(sum(gg.area_m2) FILTER (WHERE pc.cells > 0), 0) AS coverage
  FROM gg JOIN patrol_grid_cells pc USING (grid_id) LEFT JOIN pat p USING (grid_id)
  GROUP BY gg.unit_id
),
kp AS (
  SELECT d.key_location_id, sum(d.passes)::int AS passes
  FROM patrol_key_day d WHERE d.day BETWEEN $2::date AND $3::date GROUP BY d.key_location_id
),
klu AS (
  SELECT gg.unit_id, count(*)::int AS n,
         count(*) FILTER (WHERE coalesce(kp.passes, 0) >= ceil(k.required_passes_week * ($3::date - $2::date + 1) / 7.0))::int AS covered
  FROM key_location k JOIN gg ON gg.grid_id = k.grid_id LEFT JOIN kp ON kp.key_location_id = k.id
  GROUP BY gg.unit_id
),
names AS (
  SELECT id, code, name, community_id AS parent_id FROM grid WHERE $1::text = 'grid'
  UNION ALL SELECT id, code, name, subdistrict_id FROM community WHERE $1::text = 'community'
  UNION ALL SELECT id, code, name, NULL::int FROM subdistrict WHERE $1::text = 'subdistrict'
)
SELECT u.unit_id, n.code, n.name, n.parent_id, u.grids, u.area_m2,
       coalesce(reg.addresses, 0) AS addresses, coalesce(reg.registered, 0) AS registered,
       coalesce(vis.na, 0) AS visit_need_address, coalesce(vis.ca, 0) AS visit_covered_address,
       coalesce(vis.np, 0) AS visit_need_person, coalesce(vis.cp, 0) AS visit_covered_person,
       coalesce(ev.reported, 0) AS events_reported, coalesce(ev.due, 0) AS events_due,
       coalesce(ev.closed, 0) AS events_closed, coalesce(ev.on_time, 0) AS events_on_time,
       coalesce(ev2.overdue_open, 0) AS events_overdue_open, ev2.median_h AS median_close_hours,
       coalesce(patu.cells, 0) AS patrol_cells, coalesce(patu.covered, 0) AS patrol_cells_covered,
       patu.coverage AS patrol_coverage,
       coalesce(klu.n, 0) AS key_locations, coalesce(klu.covered, 0) AS key_locations_covered
FROM units u
JOIN names n ON n.id = u.unit_id
LEFT JOIN reg USING (unit_id)
LEFT JOIN vis USING (unit_id)
LEFT JOIN ev USING (unit_id)
LEFT JOIN ev2 USING (unit_id)
LEFT JOIN patu USING (unit_id)
LEFT JOIN klu USING (unit_id)
ORDER BY u.unit_id
