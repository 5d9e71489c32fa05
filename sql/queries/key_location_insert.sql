-- key_location_insert: creates a key location (point or polygon).
-- params:
--   $1 code text
--   $2 name text
--   $3 type text
--   $4 geometry_geojson text
--   $5 required_passes_week integer
-- returns one row: id int, grid_id int
INSERT INTO key_location (code, name, type, geom, required_passes_week)
VALUES ($1::text, $2::text, $3::text, ST_SetSRID(ST_GeomFromGeoJSON($4::text), 4326), $5::int)
RETURNING id, grid_id
