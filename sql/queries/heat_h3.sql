-- heat_h3: event counts per H3 cell (事件热力) in a bounding box, time window and filters, from the
-- heat fact table event_cell: each event's res-11 cell is rolled up to resolution $5 by bit
-- arithmetic. Events are chosen by their point, so a cell cut by the bbox edge counts only the
-- events inside the box. Cancelled events are not counted. Local days, hours and weekdays are in
-- time zone $8. The time index (event_cell_time) includes every column tested, so the whole
-- query is an index-only range scan.
-- params:
--   $1 min_lon float8
--   $2 min_lat float8
--   $3 max_lon float8
--   $4 max_lat float8
--   $5 res integer (7..11)
--   $6 from_date date (first local day, inclusive)
--   $7 to_date date (local day after the last one, exclusive)
--   $8 timezone text (IANA name, e.g. Asia/Shanghai)
--   $9 types text[] | null (event.type values; null = all)
--   $10 subtypes text[] | null (event.subtype values; null = all)
--   $11 hours integer[] | null (local hour of day 0..23; null = all)
--   $12 weekdays integer[] | null (local ISO weekday, 1 = Monday .. 7 = Sunday; null = all)
--   $13 row_limit integer (the route caps it; one extra row is fetched to detect truncation)
-- returns rows: cell text (15-digit hex H3 index), n int; most events first, then by cell
SELECT h3_to_hex(h3_cell_to_parent(c.cell, $5::int)) AS cell, count(*)::int AS n
FROM event_cell c
WHERE c.counted AND c.cell IS NOT NULL
  AND c.reported_at >= ($6::date::timestamp AT TIME ZONE $8::text)
  AND c.reported_at < ($7::date::timestamp AT TIME ZONE $8::text)
  AND c.lon BETWEEN $1::float8 AND $3::float8 AND c.lat BETWEEN $2::float8 AND $4::float8
  AND ($9::text[] IS NULL OR c.type = ANY ($9::text[]))
  AND ($10::text[] IS NULL OR c.subtype = ANY ($10::text[]))
  AND ($11::int[] IS NULL OR extract(hour FROM c.reported_at AT TIME ZONE $8::text)::int = ANY ($11::int[]))
  AND ($12::int[] IS NULL OR extract(isodow FROM c.reported_at AT TIME ZONE $8::text)::int = ANY ($12::int[]))
GROUP BY 1
ORDER BY n DESC, cell
LIMIT $13::int
