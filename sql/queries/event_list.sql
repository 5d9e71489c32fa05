-- event_list: events filtered by time, type, subtype, state, severity and grid/community, newest
-- first, one keyset page at a time. Runs as the caller's scoped role, so only events of their grids
-- come back. Every row carries the total of matching events (all pages), counted before the page
-- cursor applies; the event row is joined to its grid, community and address only for the page.
-- params:
--   $1 from timestamptz | null (reported_at >= from)
--   $2 to timestamptz | null (reported_at < to)
--   $3 types text[] | null
--   $4 subtypes text[] | null
--   $5 states text[] | null
--   $6 severities int[] | null (exact levels)
--   $7 min_severity int | null
--   $8 grid_id int | null
--   $9 community_id int | null
--   $10 overdue_only bool
--   $11 now timestamptz
--   $12 cursor_at timestamptz | null (keyset: rows strictly after (cursor_at, cursor_id) in the order)
--   $13 cursor_id int | null
--   $14 row_limit int (the page size, capped by the route)
-- returns one row: events text (a JSON array of at most row_limit objects, newest first, each with
--   id, code, type, subtype, severity, complexity, state, title, grid_id, grid_name, community_id,
--   community_name, address_id, address_text, reported_at, due_at, closed_at (ISO 8601 UTC with
--   milliseconds, as JSON.stringify writes a Date), escalation_level, version, lon, lat, overdue),
--   total int (every matching event, all pages; null when the page is empty), next_cursor text (the
--   cursor naming the page's last row: reported_at in UTC with microseconds, '_', id; null on the last page).
-- The database writes the JSON (compact, as JSON.stringify would: row_to_json, joined with ','): a
-- page of 500 events is ~240 kB, and parsing it into rows and re-serialising them in Node cost more
-- than the query.
WITH matched AS (
  SELECT e.id, e.reported_at, count(*) OVER ()::int AS total
  FROM event e
  WHERE ($1::timestamptz IS NULL OR e.reported_at >= $1::timestamptz)
    AND ($2::timestamptz IS NULL OR e.reported_at < $2::timestamptz)
    AND ($3::text[] IS NULL OR e.type = ANY ($3::text[]))
    AND ($4::text[] IS NULL OR e.subtype = ANY ($4::text[]))
    AND ($5::text[] IS NULL OR e.state = ANY ($5::text[]))
    AND ($6::int[] IS NULL OR e.severity = ANY ($6::int[]))
    AND ($7::int IS NULL OR e.severity >= $7::int)
    AND ($8::int IS NULL OR e.grid_id = $8::int)
    AND ($9::int IS NULL OR e.grid_id IN (SELECT g.id FROM grid g WHERE g.community_id = $9::int))
    AND (NOT $10::bool OR (e.state NOT IN ('closed', 'cancelled', 'resolved') AND e.due_at < $11::timestamptz))
), page AS (
  SELECT m.id, m.reported_at, m.total
  FROM matched m
  WHERE $12::timestamptz IS NULL OR (m.reported_at, m.id) < ($12::timestamptz, $13::int)
  ORDER BY m.reported_at DESC, m.id DESC
  LIMIT $14::int + 1
), listed AS (
  SELECT row_number() OVER (ORDER BY p.reported_at DESC, p.id DESC) AS n, p.total,
         to_char(e.reported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '_' || e.id AS sort_key,
         (SELECT row_to_json(x) FROM (SELECT
           e.id, e.code, e.type, e.subtype, e.severity, e.complexity, e.state, e.title, e.grid_id, g.name AS grid_name,
           g.community_id, c.name AS community_name, e.address_id, a.address_text,
           to_char(e.reported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS reported_at,
           to_char(e.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS due_at,
           to_char(e.closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS closed_at,
           e.escalation_level, e.version,
           round(ST_X(e.geom)::numeric, 7)::float8 AS lon, round(ST_Y(e.geom)::numeric, 7)::float8 AS lat,
           coalesce(e.state NOT IN ('closed', 'cancelled', 'resolved') AND e.due_at < $11::timestamptz, false) AS overdue
         ) x) AS obj
  FROM page p
  JOIN event e ON e.id = p.id
  LEFT JOIN grid g ON g.id = e.grid_id
  LEFT JOIN community c ON c.id = g.community_id
  LEFT JOIN address a ON a.id = e.address_id
)
SELECT '[' || coalesce(string_agg(obj::text, ',' ORDER BY n) FILTER (WHERE n <= $14::int), '') || ']' AS events,
       max(total) AS total,
       CASE WHEN count(*) > $14::int THEN max(sort_key) FILTER (WHERE n = $14::int) END AS next_cursor
FROM listed
