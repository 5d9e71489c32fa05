-- joint_defense_points_geojson: joint-defense points (联防联控点) as a FeatureCollection.
-- params:
--   $1 grid_id integer | null
--   $2 min_lon float8 | null (bbox; all four or none)
--   $3 min_lat float8 | null
--   $4 max_lon float8 | null
--   $5 max_lat float8 | null
-- returns one row: fc text — properties id, code, name, grid_id, service_radius_m
SELECT json_build_object(
  'type', 'FeatureCollection',
  'features', coalesce(json_agg(ST_AsGeoJSON(t.*, 'geom', 7)::json ORDER BY t.id), '[]'::json)
)::text AS fc
FROM (
  SELECT j.id, j.code, j.name, j.grid_id, j.service_radius_m, j.geom
  FROM joint_defense_point j
  WHERE ($1::int IS NULL OR j.grid_id = $1::int)
    AND ($2::float8 IS NULL OR j.geom && ST_MakeEnvelope($2::float8, $3::float8, $4::float8, $5::float8, 4326))
) t
