-- heat_matrix: events by local weekday and hour of day (时段分布, 7 × 24) for an area: a bbox, a
-- sub-district, a community or a grid (at most one; none = everywhere). Areas above the bbox go
-- through the event's grid, so the matrix agrees with the grid and community KPIs. Cancelled events
-- are left out. Only non-empty (weekday, hour) pairs are returned.
-- params:
--   $1 min_lon float8 | null (bbox, all four or none)
--   $2 min_lat float8 | null
--   $3 max_lon float8 | null
--   $4 max_lat float8 | null
--   $5 subdistrict_id integer | null
--   $6 community_id integer | null
--   $7 grid_id integer | null
--   $8 from_date date (first local day, inclusive)
--   $9 to_date date (local day after the last one, exclusive)
--   $10 timezone text (IANA name)
--   $11 types text[] | null
--   $12 subtypes text[] | null
-- returns rows: weekday int (ISO, 1 = Monday .. 7 = Sunday), hour int (0..23), n int
SELECT extract(isodow FROM e.reported_at AT TIME ZONE $10::text)::int AS weekday,
       extract(hour FROM e.reported_at AT TIME ZONE $10::text)::int AS hour,
       count(*)::int AS n
FROM event e
WHERE e.reported_at >= ($8::date::timestamp AT TIME ZONE $10::text)
  AND e.reported_at < ($9::date::timestamp AT TIME ZONE $10::text)
  AND e.state <> 'cancelled'
  AND ($1::float8 IS NULL OR e.geom && ST_MakeEnvelope($1::float8, $2::float8, $3::float8, $4::float8, 4326))
  AND ($5::int IS NULL OR e.grid_id IN (SELECT g.id FROM grid g JOIN community m ON m.id = g.community_id WHERE m.subdistrict_id = $5::int))
  AND ($6::int IS NULL OR e.grid_id IN (SELECT g.id FROM grid g WHERE g.community_id = $6::int))
  AND ($7::int IS NULL OR e.grid_id = $7::int)
  AND ($11::text[] IS NULL OR e.type = ANY ($11::text[]))
  AND ($12::text[] IS NULL OR e.subtype = ANY ($12::text[]))
GROUP BY 1, 2
ORDER BY 1, 2
