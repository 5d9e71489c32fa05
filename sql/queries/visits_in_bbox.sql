-- visits_in_bbox: visits (走访) in a box and a window of local days, each at its GPS fix or, without
-- one, at its address, with the KPI engine's verdict (kpi_visit: standard, reasons, distance) read
-- as it stands, never re-derived: on-site = neither no_fix nor off_site; joint (key and attention
-- addresses only, NULL for general ones) = neither not_joint nor not_copresent. A visit the engine
-- has not judged yet (kpi_visit row missing) has NULL verdicts.
-- params:
--   $1 min_lon float8
--   $2 min_lat float8
--   $3 max_lon float8
--   $4 max_lat float8
--   $5 from_day date
--   $6 to_day date (inclusive)
--   $7 row_limit integer (the route caps it; one extra row is fetched to detect truncation)
-- returns rows: id int, visited_at float8 (epoch ms), address_id int, address_text text,
--   category text, grid_id int, person bool, has_fix bool, lon float8, lat float8,
--   standard bool | null, on_site bool | null, joint bool | null, reasons text[] | null,
--   distance_m float8 | null, participants int
WITH w AS (
  SELECT ($5::date)::timestamp AT TIME ZONE kpi_tz() AS t0, ($6::date + 1)::timestamp AT TIME ZONE kpi_tz() AS t1,
         ST_MakeEnvelope($1::float8, $2::float8, $3::float8, $4::float8, 4326) AS box
),
v AS (
  SELECT v.id, v.visited_at, v.address_id, v.grid_id, v.person_id, v.geom AS fix, a.geom AS home, a.address_text, a.category
  FROM visit v JOIN address a ON a.id = v.address_id CROSS JOIN w
  WHERE v.visited_at >= w.t0 AND v.visited_at < w.t1
    AND ((v.geom IS NOT NULL AND v.geom && w.box) OR (v.geom IS NULL AND a.geom && w.box))
)
SELECT v.id, (extract(epoch FROM v.visited_at) * 1000)::float8 AS visited_at, v.address_id, v.address_text, v.category, v.grid_id,
       v.person_id IS NOT NULL AS person, v.fix IS NOT NULL AS has_fix,
       round(ST_X(coalesce(v.fix, v.home))::numeric, 7)::float8 AS lon, round(ST_Y(coalesce(v.fix, v.home))::numeric, 7)::float8 AS lat,
       k.standard,
       CASE WHEN k.visit_id IS NULL THEN NULL ELSE NOT (k.reasons && ARRAY['no_fix', 'off_site']) END AS on_site,
       CASE WHEN k.visit_id IS NULL OR v.category = 'general' THEN NULL ELSE NOT (k.reasons && ARRAY['not_joint', 'not_copresent']) END AS joint,
       k.reasons, round(k.distance_m::numeric, 1)::float8 AS distance_m,
       (SELECT count(*)::int FROM visit_participant p WHERE p.visit_id = v.id) AS participants
FROM v LEFT JOIN kpi_visit k ON k.visit_id = v.id
ORDER BY v.visited_at, v.id
LIMIT $7::int
