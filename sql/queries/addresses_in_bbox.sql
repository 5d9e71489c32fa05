-- addresses_in_bbox: standard addresses (标准地址) inside a bounding box, capped. The envelope is
-- built from the parameters (the column is left alone) so the GiST index on address.geom is used.
-- params:
--   $1 min_lon float8
--   $2 min_lat float8
--   $3 max_lon float8
--   $4 max_lat float8
--   $5 categories text[] | null (any of general, key, attention; null = all)
--   $6 row_limit integer (the route caps it; one extra row is fetched to detect truncation)
-- returns rows: id int, code text, address_text text, category text, grid_id int, vacant bool,
--   lon float8, lat float8
SELECT a.id, a.code, a.address_text, a.category, a.grid_id, a.vacant,
       round(ST_X(a.geom)::numeric, 7)::float8 AS lon, round(ST_Y(a.geom)::numeric, 7)::float8 AS lat
FROM address a
WHERE a.geom && ST_MakeEnvelope($1::float8, $2::float8, $3::float8, $4::float8, 4326)
  AND ($5::text[] IS NULL OR a.category = ANY ($5::text[]))
ORDER BY a.id
LIMIT $6::int
