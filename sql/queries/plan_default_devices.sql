-- plan_default_devices: patrol devices of the police and auxiliary police assigned (today) to the
-- plan's community or grids: the devices whose GPS verifies the plan unless the leader links others.
-- params:
--   $1 grid_ids integer[]
--   $2 day date
-- returns rows: device_id int, code text, staff_id int, staff_name text
SELECT DISTINCT d.id AS device_id, d.code, s.id AS staff_id, s.name AS staff_name
FROM assignment a
JOIN staff s ON s.id = a.staff_id
JOIN patrol_device d ON d.staff_id = s.id AND d.active
WHERE a.role IN ('police', 'aux_police', 'station_chief')
  AND a.starts_on <= $2::date AND (a.ends_on IS NULL OR a.ends_on >= $2::date)
  AND (a.grid_id = ANY ($1::int[])
       OR a.community_id IN (SELECT g.community_id FROM grid g WHERE g.id = ANY ($1::int[])))
ORDER BY d.id
