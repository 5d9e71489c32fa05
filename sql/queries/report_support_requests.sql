-- report_support_requests: 日见面 — support requests made in a time range with their response times
-- against the configured limits (support.ack_minutes, support.arrive_minutes).
-- params:
--   $1 from_ts timestamptz (inclusive)
--   $2 to_ts timestamptz (exclusive)
--   $3 grid_ids integer[]
--   $4 ack_limit float8 (minutes)
--   $5 arrive_limit float8 (minutes)
-- returns rows: id int, grid_id int, grid_name text, community_name text, state text, reason text,
--   police_name text | null, requested_at timestamptz, acknowledged_at timestamptz | null,
--   arrived_at timestamptz | null, ack_minutes float8 | null, arrive_minutes float8 | null,
--   ack_on_time bool, arrive_on_time bool
SELECT r.id, r.grid_id, g.name AS grid_name, c.name AS community_name, r.state, r.reason, s.name AS police_name,
       r.requested_at, r.acknowledged_at, r.arrived_at,
       round((extract(epoch FROM r.acknowledged_at - r.requested_at) / 60)::numeric, 1)::float8 AS ack_minutes,
       round((extract(epoch FROM r.arrived_at - r.requested_at) / 60)::numeric, 1)::float8 AS arrive_minutes,
       coalesce(r.acknowledged_at - r.requested_at <= make_interval(secs => $4::float8 * 60), false) AS ack_on_time,
       coalesce(r.arrived_at - r.requested_at <= make_interval(secs => $5::float8 * 60), false) AS arrive_on_time
FROM support_request r
JOIN grid g ON g.id = r.grid_id
JOIN community c ON c.id = g.community_id
LEFT JOIN staff s ON s.id = r.police_id
WHERE r.requested_at >= $1::timestamptz AND r.requested_at < $2::timestamptz AND r.grid_id = ANY ($3::int[])
ORDER BY r.requested_at, r.id
