-- event_duplicates: open or recent events of the same type within a radius and time window of a
-- new report (duplicate warning). The bbox prefilter lets the GiST index on event.geom work.
-- params:
--   $1 type text
--   $2 lon float8
--   $3 lat float8
--   $4 reported_at timestamptz
--   $5 radius_m float8
--   $6 window_hours float8
-- returns rows: id int, code text, title text, state text, reported_at timestamptz, distance_m float8
SELECT e.id, e.code, e.title, e.state, e.reported_at,
       round(ST_Distance(e.geom::geography, p.pt::geography)::numeric, 1)::float8 AS distance_m
FROM event e, (SELECT ST_SetSRID(ST_MakePoint($2::float8, $3::float8), 4326) AS pt) p
WHERE e.type = $1::text
  AND e.state <> 'cancelled'
  AND e.reported_at BETWEEN $4::timestamptz - make_interval(secs => $6::float8 * 3600) AND $4::timestamptz + make_interval(secs => $6::float8 * 3600)
  AND e.geom && ST_Expand(p.pt, $5::float8 / 90000.0)
  AND ST_DWithin(e.geom::geography, p.pt::geography, $5::float8)
ORDER BY distance_m
LIMIT 10
