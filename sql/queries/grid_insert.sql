-- grid_insert: creates a grid inside an existing community; the database checks validity.
-- params:
--   $1 code text
--   $2 name text
--   $3 community_id integer
--   $4 geometry_geojson text (Polygon or MultiPolygon, WGS84)
-- returns one row: id int, area_m2 float8
INSERT INTO grid (code, name, community_id, geom)
VALUES ($1::text, $2::text, $3::int, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($4::text), 4326)))
RETURNING id, area_m2
