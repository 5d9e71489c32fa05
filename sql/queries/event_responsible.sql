-- event_responsible: who answers for a grid on a day: its grid leader(s) and the police and
-- auxiliary police covering it ("一村（格）一警").
-- params:
--   $1 grid_id int
--   $2 on_day date
-- returns rows: staff_id int, name text, role text, phone text
SELECT s.id AS staff_id, s.name, ag.role, s.phone
FROM assignment_grids($2::date) ag JOIN staff s ON s.id = ag.staff_id
WHERE ag.grid_id = $1::int AND ag.role IN ('grid_leader', 'police', 'aux_police')
ORDER BY CASE ag.role WHEN 'grid_leader' THEN 1 WHEN 'police' THEN 2 ELSE 3 END, s.id
