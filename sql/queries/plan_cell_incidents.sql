-- plan_cell_incidents: incidents of a patrol plan's area at the shift's local hours, per H3 cell,
-- each with its age at the shift start, read from the heat fact table (event_cell) by its time
-- index. Cancelled events are not counted.
-- params:
--   $1 grid_ids integer[] (the plan's grids)
--   $2 polygon text | null (GeoJSON; only events inside it, for a drawn area)
--   $3 from timestamptz (start of the look-back window)
--   $4 to timestamptz (the shift start: ages are measured back from it)
--   $5 hours integer[] (local hours of the shift)
--   $6 types text[] | null (event types; null = all)
--   $7 timezone text
--   $8 res integer (H3 resolution of the targets, ≤ 11)
-- returns rows: cell text (hex H3), ages float8[] (days before $4), labels text[] (subtype, else type)
SELECT h3_to_hex(h3_cell_to_parent(c.cell, $8::int)) AS cell,
       array_agg(extract(epoch FROM $4::timestamptz - c.reported_at) / 86400.0 ORDER BY c.reported_at) AS ages,
       array_agg(coalesce(c.subtype, c.type) ORDER BY c.reported_at) AS labels
FROM event_cell c
WHERE c.counted AND c.cell IS NOT NULL
  AND c.reported_at >= $3::timestamptz AND c.reported_at < $4::timestamptz
  AND c.grid_id = ANY ($1::int[])
  AND ($2::text IS NULL OR ST_Intersects(ST_SetSRID(ST_GeomFromGeoJSON($2::text), 4326), ST_Point(c.lon, c.lat, 4326)))
  AND extract(hour FROM c.reported_at AT TIME ZONE $7::text)::int = ANY ($5::int[])
  AND ($6::text[] IS NULL OR c.type = ANY ($6::text[]))
GROUP BY 1
ORDER BY 1
