-- report_patrol_plans: 日见面 — published patrol plans whose shift overlaps a time range, for plans
-- of the given grids' communities or naming one of the grids.
-- params:
--   $1 from_ts timestamptz
--   $2 to_ts timestamptz
--   $3 grid_ids integer[]
-- returns rows: id int, name text, community_id int | null, community_name text | null,
--   shift_start timestamptz, shift_end timestamptz, team_size int, stops int, published_at timestamptz
SELECT p.id, p.name, p.community_id, c.name AS community_name, p.shift_start, p.shift_end, p.team_size,
       (SELECT count(*)::int FROM patrol_plan_stop s WHERE s.plan_id = p.id) AS stops, p.published_at
FROM patrol_plan p
LEFT JOIN community c ON c.id = p.community_id
WHERE p.state = 'published' AND p.shift_start < $2::timestamptz AND p.shift_end > $1::timestamptz
  AND (p.community_id IN (SELECT g.community_id FROM grid g WHERE g.id = ANY ($3::int[]))
       OR p.grid_ids && $3::int[])
ORDER BY p.shift_start, p.id
