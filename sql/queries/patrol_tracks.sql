-- patrol_tracks: GPS fixes of the devices seen in a box during a time window, cut into trips by
-- the KPI engine's segment rule: consecutive fixes of a device less than patrol.segment max_gap_s
-- and max_gap_m (sphere distance) apart belong to one trip; a longer gap starts a new one. Only
-- the fixes the caller may see are read (row-level security on gps_fix by grid), so the rule runs
-- on those: a track that leaves the caller's grids is cut there, as if the device had gone quiet.
-- Trips of a single fix draw nothing and are left out. Fixes are read per device through the
-- (device_id, fixed_at) primary key; at most $7 are read (device by device, in time order).
-- params:
--   $1 min_lon float8
--   $2 min_lat float8
--   $3 max_lon float8
--   $4 max_lat float8
--   $5 from_at timestamptz
--   $6 to_at timestamptz (exclusive)
--   $7 max_fixes integer
-- returns rows, one per trip (device, then time order): device_id int, device_code text,
--   device_kind text, trip int, t float8[] (epoch seconds), lon float8[], lat float8[],
--   fixes_read int (fixes read in all, the same on every row), capped bool
WITH cfg AS (
  SELECT make_interval(secs => (kpi_cfg('patrol.segment') ->> 'max_gap_s')::float8) AS gap,
         (kpi_cfg('patrol.segment') ->> 'max_gap_m')::float8 AS gap_m
),
dev AS (
  SELECT d.id, d.code, d.kind FROM patrol_device d
  WHERE EXISTS (SELECT 1 FROM gps_fix f
                WHERE f.device_id = d.id AND f.fixed_at >= $5::timestamptz AND f.fixed_at < $6::timestamptz
                  AND f.lon BETWEEN $1::float8 AND $3::float8 AND f.lat BETWEEN $2::float8 AND $4::float8)
),
fx AS MATERIALIZED (
  SELECT dev.id AS device_id, f.fixed_at, f.lon, f.lat
  FROM dev CROSS JOIN LATERAL (
    SELECT g.fixed_at, g.lon, g.lat FROM gps_fix g
    WHERE g.device_id = dev.id AND g.fixed_at >= $5::timestamptz AND g.fixed_at < $6::timestamptz
  ) f
  ORDER BY dev.id, f.fixed_at
  LIMIT $7::int + 1
),
kept AS (
  SELECT * FROM fx ORDER BY device_id, fixed_at LIMIT $7::int
),
brk AS (
  SELECT k.*,
         CASE WHEN lag(k.fixed_at) OVER w IS NULL
                OR k.fixed_at - lag(k.fixed_at) OVER w >= cfg.gap
                OR ST_DistanceSphere(ST_Point(lag(k.lon) OVER w, lag(k.lat) OVER w, 4326), ST_Point(k.lon, k.lat, 4326)) >= cfg.gap_m
              THEN 1 ELSE 0 END AS starts
  FROM kept k CROSS JOIN cfg
  WINDOW w AS (PARTITION BY k.device_id ORDER BY k.fixed_at)
),
trip AS (
  SELECT b.*, sum(b.starts) OVER (PARTITION BY b.device_id ORDER BY b.fixed_at)::int AS trip FROM brk b
)
SELECT t.device_id, d.code AS device_code, d.kind AS device_kind, t.trip,
       array_agg(round(extract(epoch FROM t.fixed_at)::numeric, 3)::float8 ORDER BY t.fixed_at) AS t,
       array_agg(round(t.lon::numeric, 6)::float8 ORDER BY t.fixed_at) AS lon,
       array_agg(round(t.lat::numeric, 6)::float8 ORDER BY t.fixed_at) AS lat,
       (SELECT count(*)::int FROM kept) AS fixes_read,
       (SELECT count(*) FROM fx) > $7::int AS capped
FROM trip t JOIN dev d ON d.id = t.device_id
GROUP BY t.device_id, d.code, d.kind, t.trip
HAVING count(*) >= 2
ORDER BY t.device_id, t.trip
