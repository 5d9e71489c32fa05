-- stats_kpi_naive: the per-grid KPI table computed the naive way, as the benchmark's baseline
-- (bench/kpi.bench.ts), never by the API: every number from the raw rows at request time, each
-- point put in its grid by a spatial join (ST_Intersects with the grid polygons), no derived table.
-- Visit coverage here counts on-site visits by assigned staff (the joint-visit rule left out).
-- params:
--   $1 from_day date
--   $2 to_day date (inclusive)
--   $3 as_of timestamptz
-- returns rows: grid_id int, addresses int, registered int, visit_covered int, events_reported int,
--   events_due int, events_closed int, events_on_time int, events_overdue_open int,
--   median_close_hours float8 | null, patrol_cells_covered int
WITH cfg AS (
  SELECT kpi_tz() AS tz, kpi_cfg('visit.cycle_days.address') AS ac, kpi_cfg('event.deadline_hours') AS dl,
         (kpi_cfg('visit.onsite_radius_m') #>> '{}')::float8 AS onsite_m,
         ($1::date::timestamp AT TIME ZONE kpi_tz()) AS t0, (($2::date + 1)::timestamp AT TIME ZONE kpi_tz()) AS t1
),
a AS (
  SELECT g.id AS grid_id, g.community_id, a.id, a.geom, a.category, a.vacant
  FROM grid g JOIN address a ON ST_Intersects(g.geom, a.geom)
),
reg AS (
  SELECT a.grid_id, count(*)::int AS addresses,
         count(*) FILTER (WHERE EXISTS (SELECT 1 FROM housing h WHERE h.address_id = a.id)
                            AND (a.vacant OR EXISTS (SELECT 1 FROM resident r WHERE r.address_id = a.id)
                                 OR EXISTS (SELECT 1 FROM org_unit u WHERE u.address_id = a.id)))::int AS registered,
         count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM visit v
           WHERE v.address_id = a.id AND v.visited_at < cfg.t1
             AND v.visited_at >= cfg.t1 - make_interval(days => (cfg.ac ->> a.category)::int)
             AND ST_DWithin(v.geom::geography, a.geom::geography, cfg.onsite_m)
             AND EXISTS (SELECT 1 FROM visit_participant vp JOIN assignment s ON s.staff_id = vp.staff_id
                         WHERE vp.visit_id = v.id AND (s.grid_id = a.grid_id OR s.community_id = a.community_id))))::int AS visit_covered
  FROM a CROSS JOIN cfg GROUP BY a.grid_id
),
e AS (
  SELECT g.id AS grid_id, e.reported_at, e.closed_at,
         coalesce(e.due_at, e.reported_at + make_interval(secs => 3600 * (cfg.dl -> e.type ->> e.severity::text)::float8)) AS due
  FROM grid g JOIN event e ON ST_Intersects(g.geom, e.geom) CROSS JOIN cfg
  WHERE e.state <> 'cancelled'
),
ev AS (
  SELECT e.grid_id,
         count(*) FILTER (WHERE e.reported_at >= cfg.t0 AND e.reported_at < cfg.t1)::int AS reported,
         count(*) FILTER (WHERE e.due >= cfg.t0 AND e.due < cfg.t1)::int AS due,
         count(*) FILTER (WHERE e.due >= cfg.t0 AND e.due < cfg.t1 AND e.closed_at IS NOT NULL)::int AS closed,
         count(*) FILTER (WHERE e.due >= cfg.t0 AND e.due < cfg.t1 AND e.closed_at <= e.due)::int AS on_time,
         count(*) FILTER (WHERE e.due >= cfg.t0 AND e.due < cfg.t1 AND e.closed_at IS NULL AND e.due < $3::timestamptz)::int AS overdue,
         (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.closed_at - e.reported_at))
            FILTER (WHERE e.due >= cfg.t0 AND e.due < cfg.t1 AND e.closed_at IS NOT NULL)) / 3600 AS median_h
  FROM e CROSS JOIN cfg GROUP BY e.grid_id
),
fx AS (
  SELECT g.id AS grid_id, count(DISTINCT f.h3_cell)::int AS cells
  FROM gps_fix f CROSS JOIN cfg
  JOIN grid g ON ST_Intersects(g.geom, ST_Point(f.lon, f.lat, 4326))
  WHERE f.fixed_at >= cfg.t0 AND f.fixed_at < cfg.t1
  GROUP BY g.id
)
SELECT g.id AS grid_id, coalesce(reg.addresses, 0) AS addresses, coalesce(reg.registered, 0) AS registered,
       coalesce(reg.visit_covered, 0) AS visit_covered, coalesce(ev.reported, 0) AS events_reported,
       coalesce(ev.due, 0) AS events_due, coalesce(ev.closed, 0) AS events_closed, coalesce(ev.on_time, 0) AS events_on_time,
       coalesce(ev.overdue, 0) AS events_overdue_open, ev.median_h AS median_close_hours, coalesce(fx.cells, 0) AS patrol_cells_covered
FROM grid g
LEFT JOIN reg ON reg.grid_id = g.id
LEFT JOIN ev ON ev.grid_id = g.id
LEFT JOIN fx ON fx.grid_id = g.id
ORDER BY g.id
