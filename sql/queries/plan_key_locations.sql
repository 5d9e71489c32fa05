-- plan_key_locations: key locations (重点部位) of a plan's grids with their required weekly passes,
-- the passes in the 7 days before the shift and the last pass (maintained patrol_key_day).
-- params:
--   $1 grid_ids integer[]
--   $2 polygon text | null (GeoJSON; only locations inside it)
--   $3 before timestamptz (the shift start)
--   $4 timezone text
-- returns rows: id int, code text, name text, type text, lon float8, lat float8,
--   required_passes_week int, passes_7d int, last_at timestamptz | null
WITH k AS (
  SELECT k.id, k.code, k.name, k.type, ST_PointOnSurface(k.geom) AS p, k.required_passes_week
  FROM key_location k
  WHERE k.grid_id = ANY ($1::int[])
    AND ($2::text IS NULL OR ST_Intersects(ST_SetSRID(ST_GeomFromGeoJSON($2::text), 4326), k.geom))
)
SELECT k.id, k.code, k.name, k.type, ST_X(k.p) AS lon, ST_Y(k.p) AS lat, k.required_passes_week,
       coalesce((SELECT sum(d.passes) FROM patrol_key_day d
                 WHERE d.key_location_id = k.id
                   AND d.day >= (($3::timestamptz AT TIME ZONE $4::text)::date - 7)
                   AND d.day < ($3::timestamptz AT TIME ZONE $4::text)::date), 0)::int AS passes_7d,
       (SELECT max(d.last_at) FROM patrol_key_day d
         WHERE d.key_location_id = k.id AND d.day >= (($3::timestamptz AT TIME ZONE $4::text)::date - 60)
           AND d.last_at < $3::timestamptz) AS last_at
FROM k
ORDER BY k.id
