-- grid_feature: one grid as a GeoJSON Feature.
-- params:
--   $1 grid_id integer
-- returns zero or one row: feature text — properties as in grids_geojson
SELECT ST_AsGeoJSON(t.*, 'geom', 7) AS feature
FROM (
  SELECT g.id, g.code, g.name, g.community_id, c.name AS community_name,
         round(g.area_m2::numeric, 1) AS area_m2, g.geom
  FROM grid g JOIN community c ON c.id = g.community_id
  WHERE g.id = $1::int
) t
