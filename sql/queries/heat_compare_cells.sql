-- heat_compare_cells: event counts per H3 cell in two time windows (A, the period of interest, and
-- B, the baseline) for a bbox, with the same filters as heat_h3. Only cells with an event in either
-- window are returned; the route derives difference and ratio.
-- params:
--   $1 min_lon float8
--   $2 min_lat float8
--   $3 max_lon float8
--   $4 max_lat float8
--   $5 res integer (7..11)
--   $6 a_from date (inclusive)
--   $7 a_to date (exclusive)
--   $8 b_from date (inclusive)
--   $9 b_to date (exclusive)
--   $10 timezone text (IANA name)
--   $11 types text[] | null
--   $12 subtypes text[] | null
--   $13 hours integer[] | null (local hour 0..23)
--   $14 weekdays integer[] | null (local ISO weekday 1..7)
--   $15 row_limit integer (one extra row detects truncation)
-- returns rows: cell text (hex H3 index), a int, b int; largest change first, then by cell
WITH w AS (
  SELECT $6::date::timestamp AT TIME ZONE $10::text AS a0, $7::date::timestamp AT TIME ZONE $10::text AS a1,
         $8::date::timestamp AT TIME ZONE $10::text AS b0, $9::date::timestamp AT TIME ZONE $10::text AS b1
)
SELECT h3_to_hex(h3_cell_to_parent(c.cell, $5::int)) AS cell,
       count(*) FILTER (WHERE e.reported_at >= w.a0 AND e.reported_at < w.a1)::int AS a,
       count(*) FILTER (WHERE e.reported_at >= w.b0 AND e.reported_at < w.b1)::int AS b
FROM event e
CROSS JOIN w
JOIN event_cell c ON c.event_id = e.id
WHERE e.geom && ST_MakeEnvelope($1::float8, $2::float8, $3::float8, $4::float8, 4326)
  AND ((e.reported_at >= w.a0 AND e.reported_at < w.a1) OR (e.reported_at >= w.b0 AND e.reported_at < w.b1))
  AND e.state <> 'cancelled'
  AND c.cell IS NOT NULL
  AND ($11::text[] IS NULL OR e.type = ANY ($11::text[]))
  AND ($12::text[] IS NULL OR e.subtype = ANY ($12::text[]))
  AND ($13::int[] IS NULL OR extract(hour FROM e.reported_at AT TIME ZONE $10::text)::int = ANY ($13::int[]))
  AND ($14::int[] IS NULL OR extract(isodow FROM e.reported_at AT TIME ZONE $10::text)::int = ANY ($14::int[]))
GROUP BY 1
ORDER BY abs(count(*) FILTER (WHERE e.reported_at >= w.a0 AND e.reported_at < w.a1)
           - count(*) FILTER (WHERE e.reported_at >= w.b0 AND e.reported_at < w.b1)) DESC, cell
LIMIT $15::int
