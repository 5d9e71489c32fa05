-- heat_compare_grids: event counts per grid (网格) in two time windows (A and baseline B) for every
-- grid that meets the bbox, zeros included so a choropleth has every grid. Events count by their
-- grid (wherever in the grid they are), as the grid KPIs do.
-- params:
--   $1 min_lon float8
--   $2 min_lat float8
--   $3 max_lon float8
--   $4 max_lat float8
--   $5 a_from date (inclusive)
--   $6 a_to date (exclusive)
--   $7 b_from date (inclusive)
--   $8 b_to date (exclusive)
--   $9 timezone text (IANA name)
--   $10 types text[] | null
--   $11 subtypes text[] | null
--   $12 hours integer[] | null (local hour 0..23)
--   $13 weekdays integer[] | null (local ISO weekday 1..7)
--   $14 row_limit integer (one extra row detects truncation)
-- returns rows: grid_id int, code text, name text, a int, b int; largest change first, then by id
WITH w AS (
  SELECT $5::date::timestamp AT TIME ZONE $9::text AS a0, $6::date::timestamp AT TIME ZONE $9::text AS a1,
         $7::date::timestamp AT TIME ZONE $9::text AS b0, $8::date::timestamp AT TIME ZONE $9::text AS b1
), grids AS (
  SELECT g.id, g.code, g.name FROM grid g
  WHERE g.geom && ST_MakeEnvelope($1::float8, $2::float8, $3::float8, $4::float8, 4326)
), counts AS (
  SELECT e.grid_id,
         count(*) FILTER (WHERE e.reported_at >= w.a0 AND e.reported_at < w.a1)::int AS a,
         count(*) FILTER (WHERE e.reported_at >= w.b0 AND e.reported_at < w.b1)::int AS b
  FROM event e CROSS JOIN w
  WHERE e.grid_id IN (SELECT id FROM grids)
    AND ((e.reported_at >= w.a0 AND e.reported_at < w.a1) OR (e.reported_at >= w.b0 AND e.reported_at < w.b1))
    AND e.state <> 'cancelled'
    AND ($10::text[] IS NULL OR e.type = ANY ($10::text[]))
    AND ($11::text[] IS NULL OR e.subtype = ANY ($11::text[]))
    AND ($12::int[] IS NULL OR extract(hour FROM e.reported_at AT TIME ZONE $9::text)::int = ANY ($12::int[]))
    AND ($13::int[] IS NULL OR extract(isodow FROM e.reported_at AT TIME ZONE $9::text)::int = ANY ($13::int[]))
  GROUP BY e.grid_id
)
SELECT g.id AS grid_id, g.code, g.name, coalesce(c.a, 0) AS a, coalesce(c.b, 0) AS b
FROM grids g LEFT JOIN counts c ON c.grid_id = g.id
ORDER BY abs(coalesce(c.a, 0) - coalesce(c.b, 0)) DESC, g.id
LIMIT $14::int
