-- incident_points: event locations (事件点位) in a bounding box, time window and filters, for the
-- clustered point layer. Aggregate-safe: location, type and local day only, no identity, title or
-- person; read from the heat fact table event_cell (same events as the heat layers, under
-- row-level security). Newest first, so a capped answer keeps the most recent events.
-- params:
--   $1 min_lon float8
--   $2 min_lat float8
--   $3 max_lon float8
--   $4 max_lat float8
--   $5 from_date date (first local day, inclusive)
--   $6 to_date date (local day after the last one, exclusive)
--   $7 timezone text (IANA name, e.g. Asia/Shanghai)
--   $8 types text[] | null (event.type values; null = all)
--   $9 subtypes text[] | null (event.subtype values; null = all)
--   $10 hours integer[] | null (local hour of day 0..23; null = all)
--   $11 weekdays integer[] | null (local ISO weekday, 1 = Monday .. 7 = Sunday; null = all)
--   $12 row_limit integer (the route caps it; one extra row is fetched to detect truncation)
-- returns rows: lon float8, lat float8, type text; newest first
SELECT c.lon, c.lat, c.type
FROM event_cell c
WHERE c.counted AND c.cell IS NOT NULL
  AND c.reported_at >= ($5::date::timestamp AT TIME ZONE $7::text)
  AND c.reported_at < ($6::date::timestamp AT TIME ZONE $7::text)
  AND c.lon BETWEEN $1::float8 AND $3::float8 AND c.lat BETWEEN $2::float8 AND $4::float8
  AND ($8::text[] IS NULL OR c.type = ANY ($8::text[]))
  AND ($9::text[] IS NULL OR c.subtype = ANY ($9::text[]))
  AND ($10::int[] IS NULL OR extract(hour FROM c.reported_at AT TIME ZONE $7::text)::int = ANY ($10::int[]))
  AND ($11::int[] IS NULL OR extract(isodow FROM c.reported_at AT TIME ZONE $7::text)::int = ANY ($11::int[]))
ORDER BY c.reported_at DESC, c.event_id DESC
LIMIT $12::int
