-- grids_geojson: grids (网格) as a GeoJSON FeatureCollection; geometry only changes on import, so
-- the console loads this once and joins statistics onto it by id (feature-state).
-- params:
--   $1 community_id integer | null (null = all)
-- returns one row: fc text — properties id, code, name, community_id, community_name, area_m2,
--   label_point [lon, lat] (a point inside the polygon, for labels)
SELECT json_build_object(
  'type', 'FeatureCollection',
  'features', coalesce(json_agg(ST_AsGeoJSON(t.*, 'geom', 7)::json ORDER BY t.id), '[]'::json)
)::text AS fc
FROM (
  SELECT g.id, g.code, g.name, g.community_id, c.name AS community_name,
         round(g.area_m2::numeric, 1) AS area_m2,
         json_build_array(round(ST_X(p.pt)::numeric, 7), round(ST_Y(p.pt)::numeric, 7)) AS label_point,
         g.geom
  FROM grid g
  JOIN community c ON c.id = g.community_id
  CROSS JOIN LATERAL (SELECT ST_PointOnSurface(g.geom) AS pt) p
  WHERE $1::int IS NULL OR g.community_id = $1::int
) t
