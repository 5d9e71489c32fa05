-- support_gps_arrivals: marks open or acknowledged support requests as arrived when a device
-- linked to the assigned police officer reported a fix within the radius after the request.
-- params:
--   $1 radius_m float8
-- returns rows: id int, arrived_at timestamptz
WITH first_fix AS (
  SELECT r.id, min(f.fixed_at) AS arrived_at
  FROM support_request r
  JOIN patrol_device d ON d.staff_id = r.police_id
  JOIN gps_fix f ON f.device_id = d.id AND f.fixed_at >= r.requested_at
  WHERE r.state IN ('open', 'acknowledged')
    AND ST_DWithin(ST_SetSRID(ST_MakePoint(f.lon, f.lat), 4326)::geography, r.geom::geography, $1::float8)
  GROUP BY r.id
)
UPDATE support_request r
SET state = 'arrived', arrived_at = ff.arrived_at, arrival_source = 'gps',
    acknowledged_at = coalesce(r.acknowledged_at, ff.arrived_at)
FROM first_fix ff
WHERE r.id = ff.id
RETURNING r.id, r.arrived_at
