-- hotspot_area: a community (村/社区) as the study area of a hotspot analysis.
-- params:
--   $1 community_id integer
-- returns at most one row: id int, name text, geometry text (GeoJSON MultiPolygon, WGS84),
--   min_lon float8, min_lat float8, max_lon float8, max_lat float8
SELECT m.id, m.name, ST_AsGeoJSON(m.geom) AS geometry,
       ST_XMin(m.geom) AS min_lon, ST_YMin(m.geom) AS min_lat, ST_XMax(m.geom) AS max_lon, ST_YMax(m.geom) AS max_lat
FROM community m
WHERE m.id = $1::int
