-- plan_area: the area of a patrol plan: a community, a set of grids or a drawn polygon, resolved
-- to the grids it covers among those given as visible, its outline and a default start point.
-- params:
--   $1 community_id integer | null
--   $2 grid_ids integer[] | null (the grids chosen)
--   $3 polygon text | null (GeoJSON Polygon/MultiPolygon, WGS84)
--   $4 visible integer[] | null (the caller's grids; null = all)
-- returns one row: grid_ids int[] (empty when nothing matches), community_id int | null (when all
--   grids are in one community), geometry text (GeoJSON of the area), start_lon float8, start_lat float8
WITH chosen AS (
  SELECT g.id, g.community_id, g.geom
  FROM grid g
  WHERE ($4::int[] IS NULL OR g.id = ANY ($4::int[]))
    AND (($1::int IS NOT NULL AND g.community_id = $1::int)
      OR ($2::int[] IS NOT NULL AND g.id = ANY ($2::int[]))
      OR ($3::text IS NOT NULL AND ST_Intersects(g.geom, ST_SetSRID(ST_GeomFromGeoJSON($3::text), 4326))))
),
area AS (
  SELECT CASE WHEN $3::text IS NOT NULL
              THEN ST_Intersection(ST_SetSRID(ST_GeomFromGeoJSON($3::text), 4326), ST_Union(geom))
              ELSE ST_Union(geom) END AS geom
  FROM chosen
)
SELECT coalesce((SELECT array_agg(id ORDER BY id) FROM chosen), '{}') AS grid_ids,
       (SELECT CASE WHEN count(DISTINCT community_id) = 1 THEN min(community_id) END FROM chosen) AS community_id,
       ST_AsGeoJSON(a.geom, 7) AS geometry,
       ST_X(ST_PointOnSurface(a.geom)) AS start_lon, ST_Y(ST_PointOnSurface(a.geom)) AS start_lat
FROM area a
