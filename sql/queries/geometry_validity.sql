-- geometry_validity: why a GeoJSON geometry is not valid, before trying to store it.
-- params:
--   $1 geometry_geojson text
-- returns one row: valid bool, reason text (ST_IsValidReason), location text (WKT of the fault or null)
SELECT (d).valid, (d).reason, ST_AsText((d).location) AS location
FROM (SELECT ST_IsValidDetail(ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326)) AS d) x
