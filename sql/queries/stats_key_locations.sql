-- stats_key_locations: key-location coverage (重点部位巡逻) in a window: passes within the buffer,
-- the passes required (required_passes_week pro rata, rounded up) and time since the last pass.
-- params:
--   $1 grid_ids integer[] | null (only key locations of these grids; null = all)
--   $2 from_day date
--   $3 to_day date (inclusive)
--   $4 as_of timestamptz (the end of the window, or now if earlier; "since last pass" is measured to it)
-- returns rows: key_location_id int, code text, name text, type text, grid_id int | null, passes int,
--   required int, covered bool, last_pass_at timestamptz | null, hours_since_last_pass float8 | null
WITH kp AS (
  SELECT d.key_location_id, sum(d.passes)::int AS passes
  FROM patrol_key_day d WHERE d.day BETWEEN $2::date AND $3::date GROUP BY d.key_location_id
)
SELECT k.id AS key_location_id, k.code, k.name, k.type, k.grid_id, coalesce(kp.passes, 0) AS passes,
       ceil(k.required_passes_week * ($3::date - $2::date + 1) / 7.0)::int AS required,
       coalesce(kp.passes, 0) >= ceil(k.required_passes_week * ($3::date - $2::date + 1) / 7.0) AS covered,
       l.last_at AS last_pass_at,
       extract(epoch FROM $4::timestamptz - l.last_at) / 3600 AS hours_since_last_pass
FROM key_location k
LEFT JOIN kp ON kp.key_location_id = k.id
LEFT JOIN LATERAL (
  SELECT max(p.last_at) AS last_at FROM patrol_key_pass p
  WHERE p.key_location_id = k.id AND p.first_at <= $4::timestamptz
) l ON true
WHERE $1::int[] IS NULL OR k.grid_id = ANY ($1::int[])
ORDER BY covered, k.id
