-- hotspot_period_counts: event counts per H3 cell and consecutive period (the input of Gi* and of
-- emerging-hotspot trends) for events in a bbox, from the heat fact table event_cell: period p
-- covers local days [start + p·period_days, start + (p+1)·period_days). One period of the whole
-- window gives the plain per-cell counts. Cancelled events are not counted; no row cap (the route
-- bounds the area).
-- params:
--   $1 min_lon float8
--   $2 min_lat float8
--   $3 max_lon float8
--   $4 max_lat float8
--   $5 res integer (7..11)
--   $6 start_date date (first local day of period 0)
--   $7 period_days integer (≥ 1)
--   $8 periods integer (≥ 1)
--   $9 timezone text (IANA name)
--   $10 types text[] | null
--   $11 subtypes text[] | null
--   $12 hours integer[] | null (local hour 0..23)
--   $13 weekdays integer[] | null (local ISO weekday 1..7)
-- returns rows: cell text (hex H3 index), period int (0 = oldest), n int
SELECT h3_to_hex(h3_cell_to_parent(c.cell, $5::int)) AS cell,
       (((c.reported_at AT TIME ZONE $9::text)::date - $6::date) / $7::int)::int AS period,
       count(*)::int AS n
FROM event_cell c
WHERE c.counted AND c.cell IS NOT NULL
  AND c.reported_at >= ($6::date::timestamp AT TIME ZONE $9::text)
  AND c.reported_at < (($6::date + $7::int * $8::int)::timestamp AT TIME ZONE $9::text)
  AND c.lon BETWEEN $1::float8 AND $3::float8 AND c.lat BETWEEN $2::float8 AND $4::float8
  AND ($10::text[] IS NULL OR c.type = ANY ($10::text[]))
  AND ($11::text[] IS NULL OR c.subtype = ANY ($11::text[]))
  AND ($12::int[] IS NULL OR extract(hour FROM c.reported_at AT TIME ZONE $9::text)::int = ANY ($12::int[]))
  AND ($13::int[] IS NULL OR extract(isodow FROM c.reported_at AT TIME ZONE $9::text)::int = ANY ($13::int[]))
GROUP BY 1, 2
