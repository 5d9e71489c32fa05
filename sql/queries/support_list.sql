-- support_list: support requests with their response times against the configured limits.
-- params:
--   $1 from timestamptz | null
--   $2 to timestamptz | null
--   $3 ack_minutes float8
--   $4 arrive_minutes float8
-- returns rows: id, grid_id, state, reason, requested_at, acknowledged_at, arrived_at, arrival_source,
--   police_id, ack_minutes float8, arrive_minutes float8, ack_on_time bool, arrive_on_time bool
SELECT r.id, r.grid_id, r.state, r.reason, r.requested_at, r.acknowledged_at, r.arrived_at, r.arrival_source, r.police_id,
       round((extract(epoch FROM r.acknowledged_at - r.requested_at) / 60)::numeric, 1)::float8 AS ack_minutes,
       round((extract(epoch FROM r.arrived_at - r.requested_at) / 60)::numeric, 1)::float8 AS arrive_minutes,
       r.acknowledged_at IS NOT NULL AND r.acknowledged_at - r.requested_at <= make_interval(secs => $3::float8 * 60) AS ack_on_time,
       r.arrived_at IS NOT NULL AND r.arrived_at - r.requested_at <= make_interval(secs => $4::float8 * 60) AS arrive_on_time
FROM support_request r
WHERE ($1::timestamptz IS NULL OR r.requested_at >= $1::timestamptz)
  AND ($2::timestamptz IS NULL OR r.requested_at < $2::timestamptz)
ORDER BY r.requested_at DESC
LIMIT 1000
