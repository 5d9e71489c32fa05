-- event_histogram: events per local day (按日事件量), split by type and subtype, in a time window,
-- optionally in a bounding box, with the same filters as the heat layers. Reads the heat fact
-- table event_cell like heat_h3, so the histogram and the heat layers count the same events
-- (not cancelled, cell assigned) under row-level security. The route fills days without events.
-- params:
--   $1 min_lon float8 | null (null = no bbox)
--   $2 min_lat float8 | null
--   $3 max_lon float8 | null
--   $4 max_lat float8 | null
--   $5 from_date date (first local day, inclusive)
--   $6 to_date date (local day after the last one, exclusive)
--   $7 timezone text (IANA name, e.g. Asia/Shanghai)
--   $8 types text[] | null (event.type values; null = all)
--   $9 subtypes text[] | null (event.subtype values; null = all)
--   $10 hours integer[] | null (local hour of day 0..23; null = all)
--   $11 weekdays integer[] | null (local ISO weekday, 1 = Monday .. 7 = Sunday; null = all)
-- returns rows: day text (YYYY-MM-DD, local), type text, subtype text | null, n int; by day, type, subtype
SELECT to_char(c.reported_at AT TIME ZONE $7::text, 'YYYY-MM-DD') AS day, c.type, c.subtype, count(*)::int AS n
FROM event_cell c
WHERE c.counted AND c.cell IS NOT NULL
  AND c.reported_at >= ($5::date::timestamp AT TIME ZONE $7::text)
  AND c.reported_at < ($6::date::timestamp AT TIME ZONE $7::text)
  AND ($1::float8 IS NULL OR (c.lon BETWEEN $1::float8 AND $3::float8 AND c.lat BETWEEN $2::float8 AND $4::float8))
  AND ($8::text[] IS NULL OR c.type = ANY ($8::text[]))
  AND ($9::text[] IS NULL OR c.subtype = ANY ($9::text[]))
  AND ($10::int[] IS NULL OR extract(hour FROM c.reported_at AT TIME ZONE $7::text)::int = ANY ($10::int[]))
  AND ($11::int[] IS NULL OR extract(isodow FROM c.reported_at AT TIME ZONE $7::text)::int = ANY ($11::int[]))
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3 NULLS FIRST
