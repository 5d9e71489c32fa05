-- stats_registration_missing: the addresses of a grid that are not registered (一标三实 incomplete),
-- with what is missing: no_grid, outside_grid, no_housing, no_occupants. Capped.
-- params:
--   $1 grid_id integer
--   $2 row_limit integer
-- returns rows: address_id int, code text, category text, lon float8, lat float8, missing text[],
--   total int (all missing addresses of the grid, before the cap)
SELECT k.address_id, a.code, k.category,
       round(ST_X(a.geom)::numeric, 7)::float8 AS lon, round(ST_Y(a.geom)::numeric, 7)::float8 AS lat,
       k.missing, (count(*) OVER ())::int AS total
FROM kpi_address k JOIN address a ON a.id = k.address_id
WHERE k.grid_id = $1::int AND NOT k.registered
ORDER BY k.address_id
LIMIT $2::int
