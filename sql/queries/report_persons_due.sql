-- report_persons_due: 周研判 risk list — persons of concern whose visits are not up to date on a day
-- (never visited, overdue, or due within visit.due_soon_days), counted per grid and status. Counts
-- only: no person is named.
-- params:
--   $1 day date
--   $2 grid_ids integer[]
-- returns rows: grid_id int, grid_name text, community_id int, community_name text, status text, persons int
SELECT g.id AS grid_id, g.name AS grid_name, c.id AS community_id, c.name AS community_name, s.status,
       count(*)::int AS persons
FROM unnest($2::int[]) AS u(grid_id)
JOIN grid g ON g.id = u.grid_id
JOIN community c ON c.id = g.community_id
CROSS JOIN LATERAL kpi_visit_status(g.id, NULL, $1::date) s
WHERE s.subject = 'person' AND s.status <> 'up_to_date'
GROUP BY g.id, g.name, c.id, c.name, s.status
ORDER BY c.name, g.name, s.status
