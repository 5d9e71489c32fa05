-- patrol_coverage_exact: share of a grid's area within the coverage buffer (50 m) of travelled
-- segments in a day window, on the ellipsoid. Segments are rebuilt from the raw fixes of the
-- device-days that passed the grid's cells or their halo (so tracks just outside count too).
-- params:
--   $1 grid_id integer
--   $2 from_day date
--   $3 to_day date (inclusive; a segment belongs to the day of its later fix)
-- returns one row (none if the grid does not exist): grid_id int, area_m2 float8, covered_m2 float8,
--   coverage float8, segments int
WITH cfg AS (
  SELECT kpi_tz() AS tz,
         make_interval(secs => (kpi_cfg('patrol.segment') ->> 'max_gap_s')::float8) AS gap,
         (kpi_cfg('patrol.segment') ->> 'max_gap_m')::float8 AS gap_m,
         (kpi_cfg('patrol.coverage') ->> 'buffer_m')::float8 AS buf
),
g AS (SELECT id, geom, area_m2 FROM grid WHERE id = $1::int),
dd AS (
  SELECT DISTINCT d.device_id, d.day
  FROM grid_h3_cell c JOIN patrol_device_cell_day d ON d.cell = c.cell
  WHERE c.grid_id = $1::int AND d.day BETWEEN $2::date AND $3::date
),
f AS (
  SELECT x.fixed_at, x.lon, x.lat, (dd.day::timestamp AT TIME ZONE cfg.tz) AS day_start,
         lag(x.fixed_at) OVER w AS pt, lag(x.lon) OVER w AS plon, lag(x.lat) OVER w AS plat
  FROM dd CROSS JOIN cfg
  CROSS JOIN LATERAL (
    SELECT fx.fixed_at, fx.lon, fx.lat FROM gps_fix fx
    WHERE fx.device_id = dd.device_id
      AND fx.fixed_at >= (dd.day::timestamp AT TIME ZONE cfg.tz) - cfg.gap
      AND fx.fixed_at < ((dd.day + 1)::timestamp AT TIME ZONE cfg.tz)
  ) x
  WINDOW w AS (PARTITION BY dd.device_id, dd.day ORDER BY x.fixed_at)
),
seg AS (
  SELECT CASE WHEN f.plon = f.lon AND f.plat = f.lat THEN ST_Point(f.lon, f.lat, 4326)
              ELSE ST_MakeLine(ST_Point(f.plon, f.plat, 4326), ST_Point(f.lon, f.lat, 4326)) END AS geom
  FROM f CROSS JOIN cfg
  WHERE f.pt IS NOT NULL AND f.fixed_at >= f.day_start AND f.fixed_at - f.pt < cfg.gap
    AND ST_DistanceSphere(ST_Point(f.plon, f.plat, 4326), ST_Point(f.lon, f.lat, 4326)) < cfg.gap_m
),
near AS (
  SELECT s.geom FROM seg s, g, cfg WHERE ST_DWithin(s.geom::geography, g.geom::geography, cfg.buf)
),
-- Each segment is buffered on its own and the buffers unioned, and the overlays snap to a 1e-9°
-- grid (≈ 0.1 mm): snap-rounding never needs GEOS's exception-driven fallback, which PGlite's
-- WebAssembly GEOS cannot run (it returns no row instead of an error).
cov AS (SELECT ST_Union(ST_Buffer(n.geom::geography, cfg.buf)::geometry, 1e-9) AS b FROM near n CROSS JOIN cfg),
inside AS (SELECT coalesce(ST_Area(ST_Intersection(g.geom, cov.b, 1e-9)::geography), 0) AS m2 FROM g CROSS JOIN cov)
SELECT g.id AS grid_id, g.area_m2, inside.m2 AS covered_m2, inside.m2 / g.area_m2 AS coverage,
       (SELECT count(*)::int FROM near) AS segments
FROM g CROSS JOIN inside
