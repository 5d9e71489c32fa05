-- stats_kpi: the KPI table (警网融合考核指标) of the grids for a day window, one row per grid, read
-- from the maintained aggregates of migration 00007 (no spatial join). Community and sub-district
-- rows are sums of these (patrol coverage weighted by area), made in api/patrol/kpi.ts, with
-- their medians from stats_kpi_units.
-- params:
--   $1 from_day date (first day of the window, local days in config.timezone)
--   $2 to_day date (last day, inclusive; visit coverage is the snapshot at its end)
--   $3 as_of timestamptz (open events due before this are overdue)
--   $4 grid_ids integer[] | null (only these grids: one grid, or the caller's jurisdiction; null = all)
-- returns rows: grid_id int, code text, name text, community_id int, subdistrict_id int, area_m2 float8,
--   addresses int, registered int,
--   visit_need_address int, visit_covered_address int, visit_need_person int, visit_covered_person int,
--   events_reported int, events_due int, events_closed int, events_on_time int, events_overdue_open int,
--   median_close_hours float8 | null,
--   patrol_cells int, patrol_cells_covered int, patrol_coverage float8 | null (share of the grid's cells),
--   key_locations int, key_locations_covered int
WITH g AS (
  SELECT g.id AS grid_id, g.code, g.name, g.community_id, c.subdistrict_id, g.area_m2
  FROM grid g JOIN community c ON c.id = g.community_id
  WHERE $4::int[] IS NULL OR g.id = ANY ($4::int[])
),
reg AS (
  SELECT a.grid_id, sum(a.addresses)::int AS addresses, sum(a.registered)::int AS registered
  FROM kpi_grid_address a WHERE $4::int[] IS NULL OR a.grid_id = ANY ($4::int[]) GROUP BY a.grid_id
),
v AS (
  SELECT v.grid_id, v.need_address, v.covered_address, v.need_person, v.covered_person
  FROM kpi_grid_visit_day v WHERE v.day = $2::date AND ($4::int[] IS NULL OR v.grid_id = ANY ($4::int[]))
),
ev AS (
  SELECT e.grid_id, sum(e.reported)::int AS reported, sum(e.due)::int AS due, sum(e.closed)::int AS closed,
         sum(e.on_time)::int AS on_time
  FROM kpi_grid_event_day e
  WHERE e.day BETWEEN $1::date AND $2::date AND ($4::int[] IS NULL OR e.grid_id = ANY ($4::int[]))
  GROUP BY e.grid_id
),
ev2 AS (
  SELECT e.grid_id,
         (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.closed_at - e.reported_at))
            FILTER (WHERE e.closed_at IS NOT NULL)) / 3600 AS median_h,
         count(*) FILTER (WHERE e.closed_at IS NULL AND e.due_at < $3::timestamptz)::int AS overdue_open
  FROM kpi_event e
  WHERE NOT e.cancelled AND e.due_day BETWEEN $1::date AND $2::date AND e.grid_id IS NOT NULL
    AND ($4::int[] IS NULL OR e.grid_id = ANY ($4::int[]))
  GROUP BY e.grid_id
),
pat AS (
  SELECT f.grid_id, sum(f.cells)::int AS covered
  FROM patrol_grid_first f
  WHERE daterange(f.prev_day, f.day, '(]') @> $1::date AND f.day <= $2::date
    AND ($4::int[] IS NULL OR f.grid_id = ANY ($4::int[]))
  GROUP BY f.grid_id
),
kp AS (
  SELECT d.key_location_id, sum(d.passes)::int AS passes
  FROM patrol_key_day d WHERE d.day BETWEEN $1::date AND $2::date GROUP BY d.key_location_id
),
kl AS (
  SELECT k.grid_id, count(*)::int AS n,
         count(*) FILTER (WHERE coalesce(kp.passes, 0) >= ceil(k.required_passes_week * ($2::date - $1::date + 1) / 7.0))::int AS covered
  FROM key_location k LEFT JOIN kp ON kp.key_location_id = k.id
  WHERE k.grid_id IS NOT NULL AND ($4::int[] IS NULL OR k.grid_id = ANY ($4::int[]))
  GROUP BY k.grid_id
)
SELECT g.grid_id, g.code, g.name, g.community_id, g.subdistrict_id, g.area_m2,
       coalesce(reg.addresses, 0) AS addresses, coalesce(reg.registered, 0) AS registered,
       coalesce(v.need_address, 0) AS visit_need_address, coalesce(v.covered_address, 0) AS visit_covered_address,
       coalesce(v.need_person, 0) AS visit_need_person, coalesce(v.covered_person, 0) AS visit_covered_person,
       coalesce(ev.reported, 0) AS events_reported, coalesce(ev.due, 0) AS events_due,
       coalesce(ev.closed, 0) AS events_closed, coalesce(ev.on_time, 0) AS events_on_time,
       coalesce(ev2.overdue_open, 0) AS events_overdue_open, ev2.median_h AS median_close_hours,
       coalesce(pc.cells, 0) AS patrol_cells, coalesce(pat.covered, 0) AS patrol_cells_covered,
       coalesce(pat.covered, 0)::float8 / nullif(pc.cells, 0) AS patrol_coverage,
       coalesce(kl.n, 0) AS key_locations, coalesce(kl.covered, 0) AS key_locations_covered
FROM g
LEFT JOIN reg USING (grid_id)
LEFT JOIN v USING (grid_id)
LEFT JOIN ev USING (grid_id)
LEFT JOIN ev2 USING (grid_id)
LEFT JOIN patrol_grid_cells pc USING (grid_id)
LEFT JOIN pat USING (grid_id)
LEFT JOIN kl USING (grid_id)
ORDER BY g.grid_id
