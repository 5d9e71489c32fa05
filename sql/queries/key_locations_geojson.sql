-- key_locations_geojson: key locations (重点部位) as a FeatureCollection (points or polygons).
-- params:
--   $1 type text | null
--   $2 min_lon float8 | null (bbox; all four or none)
--   $3 min_lat float8 | null
--   $4 max_lon float8 | null
--   $5 max_lat float8 | null
-- returns one row: fc text — properties id, code, name, type, grid_id, required_passes_week
SELECT json_build_object(
  'type', 'FeatureCollection',
  'features', coalesce(json_agg(ST_AsGeoJSON(t.*, 'geom', 7)::json ORDER BY t.id), '[]'::json)
)::text AS fc
FROM (
  SELECT k.id, k.code, k.name, k.type, k.grid_id, k.required_passes_week, k.geom
  FROM key_location k
  WHERE ($1::text IS NULL OR k.type = $1::text)
    AND ($2::float8 IS NULL OR k.geom && ST_MakeEnvelope($2::float8, $3::float8, $4::float8, $5::float8, 4326))
) t
