-- stats_kpi: the KPI table (警网融合考核指标) of the grids for a day window, one row per grid, read
-- from the maintained aggregates of migration 00007 (no spatial join). The per-grid facts
-- (registration, the visit snapshot at $2, events, median time to close, patrol cells and those
-- first covered in the window, key locations passed often enough) come from the kept window of
-- migrations 00014/00018 (kept = true; call kpi_window_refresh(true) and kpi_window_ensure($1, $2)
-- first in the same transaction) or are computed now by kpi_window_facts (kept = false, for a few
-- grids); only the open events already overdue at $3 are read live. Community and sub-district
-- rows are sums of these (patrol coverage weighted by area), made in api/patrol/kpi.ts, with their
-- medians from stats_kpi_units.
-- params:
--   $1 from_day date (first day of the window, local days in config.timezone)
--   $2 to_day date (last day, inclusive; visit coverage is the snapshot at its end)
--   $3 as_of timestamptz (open events due before this are overdue)
--   $4 grid_ids integer[] | null (only these grids: one grid, or the caller's jurisdiction; null = all)
--   $5 kept boolean (read the kept window instead of computing the facts)
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
od AS (
  SELECT e.grid_id, count(*)::int AS overdue_open
  FROM kpi_event e
  WHERE e.closed_at IS NULL AND NOT e.cancelled AND e.due_day BETWEEN $1::date AND $2::date AND e.due_at < $3::timestamptz
    AND e.grid_id IS NOT NULL AND ($4::int[] IS NULL OR e.grid_id = ANY ($4::int[]))
  GROUP BY e.grid_id
),
w AS (
  SELECT k.grid_id, k.events_reported, k.events_due, k.events_closed, k.events_on_time, k.median_close_hours,
         k.patrol_cells_covered, k.key_locations, k.key_locations_covered, k.addresses, k.registered,
         k.visit_need_address, k.visit_covered_address, k.visit_need_person, k.visit_covered_person, k.patrol_cells
  FROM kpi_window_grid k
  WHERE $5::boolean AND k.from_day = $1::date AND k.to_day = $2::date AND ($4::int[] IS NULL OR k.grid_id = ANY ($4::int[]))
  UNION ALL
  SELECT f.* FROM kpi_window_facts($1::date, $2::date, $4::int[]) f WHERE NOT $5::boolean
)
SELECT g.grid_id, g.code, g.name, g.community_id, g.subdistrict_id, g.area_m2,
       coalesce(w.addresses, 0) AS addresses, coalesce(w.registered, 0) AS registered,
       coalesce(w.visit_need_address, 0) AS visit_need_address, coalesce(w.visit_covered_address, 0) AS visit_covered_address,
       coalesce(w.visit_need_person, 0) AS visit_need_person, coalesce(w.visit_covered_person, 0) AS visit_covered_person,
       coalesce(w.events_reported, 0) AS events_reported, coalesce(w.events_due, 0) AS events_due,
       coalesce(w.events_closed, 0) AS events_closed, coalesce(w.events_on_time, 0) AS events_on_time,
       coalesce(od.overdue_open, 0) AS events_overdue_open, w.median_close_hours,
       coalesce(w.patrol_cells, 0) AS patrol_cells, coalesce(w.patrol_cells_covered, 0) AS patrol_cells_covered,
       coalesce(w.patrol_cells_covered, 0)::float8 / nullif(w.patrol_cells, 0) AS patrol_coverage,
       coalesce(w.key_locations, 0) AS key_locations, coalesce(w.key_locations_covered, 0) AS key_locations_covered
FROM g
LEFT JOIN w USING (grid_id)
LEFT JOIN od USING (grid_id)
ORDER BY g.grid_id
