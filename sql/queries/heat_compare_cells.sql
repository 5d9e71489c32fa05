-- heat_compare_cells: event counts per H3 cell in two time windows (A, the period of interest, and
-- B, the baseline) for a bbox, with the same filters as heat_h3 and from the same fact table; each
-- window is its own index range scan. Only cells with an event in either window are returned; the
-- route derives difference and ratio.
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
WITH w (k, t0, t1) AS (
  VALUES ('a', $6::date::timestamp AT TIME ZONE $10::text, $7::date::timestamp AT TIME ZONE $10::text),
         ('b', $8::date::timestamp AT TIME ZONE $10::text, $9::date::timestamp AT TIME ZONE $10::text)
), counts AS (
  SELECT w.k, h3_cell_to_parent(c.cell, $5::int) AS cell, count(*)::int AS n
  FROM w
  JOIN event_cell c ON c.reported_at >= w.t0 AND c.reported_at < w.t1
  WHERE c.counted AND c.cell IS NOT NULL
    AND c.lon BETWEEN $1::float8 AND $3::float8 AND c.lat BETWEEN $2::float8 AND $4::float8
    AND ($11::text[] IS NULL OR c.type = ANY ($11::text[]))
    AND ($12::text[] IS NULL OR c.subtype = ANY ($12::text[]))
    AND ($13::int[] IS NULL OR extract(hour FROM c.reported_at AT TIME ZONE $10::text)::int = ANY ($13::int[]))
    AND ($14::int[] IS NULL OR extract(isodow FROM c.reported_at AT TIME ZONE $10::text)::int = ANY ($14::int[]))
  GROUP BY 1, 2
)
SELECT h3_to_hex(cell) AS cell,
       coalesce(max(n) FILTER (WHERE k = 'a'), 0) AS a,
       coalesce(max(n) FILTER (WHERE k = 'b'), 0) AS b
FROM counts
GROUP BY counts.cell
ORDER BY abs(coalesce(max(n) FILTER (WHERE k = 'a'), 0) - coalesce(max(n) FILTER (WHERE k = 'b'), 0)) DESC, 1
LIMIT $15::int
