-- joint_defense_point_insert: creates a joint-defense point; its grid comes from its location
-- unless given.
-- params:
--   $1 code text
--   $2 name text
--   $3 lon float8
--   $4 lat float8
--   $5 service_radius_m float8
--   $6 grid_id integer | null
-- returns one row: id int, grid_id int
INSERT INTO joint_defense_point (code, name, geom, service_radius_m, grid_id)
VALUES ($1::text, $2::text, ST_SetSRID(ST_MakePoint($3::float8, $4::float8), 4326), $5::float8, $6::int)
RETURNING id, grid_id
