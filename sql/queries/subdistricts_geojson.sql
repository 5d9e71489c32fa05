-- subdistricts_geojson: every sub-district (街道) as one GeoJSON FeatureCollection.
-- returns one row: fc text — properties id, code, name, area_m2, bbox [minLon,minLat,maxLon,maxLat]
SELECT json_build_object(
  'type', 'FeatureCollection',
  'features', coalesce(json_agg(ST_AsGeoJSON(t.*, 'geom', 7)::json ORDER BY t.id), '[]'::json)
)::text AS fc
FROM (
  SELECT s.id, s.code, s.name, round(s.area_m2::numeric, 1) AS area_m2,
         json_build_array(ST_XMin(s.geom), ST_YMin(s.geom), ST_XMax(s.geom), ST_YMax(s.geom)) AS bbox,
         s.geom
  FROM subdistrict s
) t
