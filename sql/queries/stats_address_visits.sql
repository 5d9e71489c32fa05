-- stats_address_visits: the latest visits of an address with their standardisation verdict.
-- params:
--   $1 address_id integer
--   $2 row_limit integer
-- returns rows: visit_id int, visited_at timestamptz, visit_day text, person_id int | null,
--   standard bool, reasons text[], distance_m float8 | null
SELECT visit_id, visited_at, visit_day::text AS visit_day, person_id, standard, reasons,
       round(distance_m::numeric, 1)::float8 AS distance_m
FROM kpi_visit
WHERE address_id = $1::int
ORDER BY visited_at DESC
LIMIT $2::int
