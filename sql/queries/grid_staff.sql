-- grid_staff: who works a grid today (一格一警): grid leader (网格长), police (民警), auxiliary police
-- (辅警), grid workers (专职网格员), part-time workers at its joint-defense points (兼职网格员) and
-- the community's station chief (工作站站长), from assignments in force today. A community-scoped
-- officer covers every grid of the community (scope = 'community').
-- params:
--   $1 grid_id integer
-- returns rows: role text, staff_id int, name text, kind text, phone text | null,
--   scope text (grid | community | joint_point), starts_on text
SELECT a.role, s.id AS staff_id, s.name, s.kind, s.phone,
       CASE WHEN a.grid_id IS NOT NULL THEN 'grid' WHEN a.community_id IS NOT NULL THEN 'community' ELSE 'joint_point' END AS scope,
       a.starts_on::text AS starts_on
FROM assignment_grids(jw_today()) ag
JOIN assignment a ON a.id = ag.assignment_id
JOIN staff s ON s.id = ag.staff_id
WHERE ag.grid_id = $1::int AND s.active
  AND ag.role IN ('grid_leader', 'police', 'aux_police', 'grid_worker', 'part_time', 'station_chief')
ORDER BY CASE ag.role WHEN 'grid_leader' THEN 0 WHEN 'police' THEN 1 WHEN 'aux_police' THEN 2 WHEN 'grid_worker' THEN 3
                      WHEN 'station_chief' THEN 4 ELSE 5 END, s.name, s.id
