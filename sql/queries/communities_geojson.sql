-- communities_geojson: communities/villages (社区/行政村) as a GeoJSON FeatureCollection.
-- params:
--   $1 subdistrict_id integer | null (null = all)
-- returns one row: fc text — properties id, code, name, kind, subdistrict_id, area_m2, grid_count
SELECT json_build_object(
  'type', 'FeatureCollection',
  'features', coalesce(json_agg(ST_AsGeoJSON(t.*, 'geom', 7)::json ORDER BY t.id), '[]'::json)
)::text AS fc
FROM (
  SELECT c.id, c.code, c.name, c.kind, c.subdistrict_id, round(c.area_m2::numeric, 1) AS area_m2,
         (SELECT count(*)::int FROM grid g WHERE g.community_id = c.id) AS grid_count,
         c.geom
  FROM community c
  WHERE $1::int IS NULL OR c.subdistrict_id = $1::int
) t
