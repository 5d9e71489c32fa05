-- plan_cell_last_pass: the last patrol pass before a moment through each of some cells, from the
-- maintained per-cell-day table (patrol coverage resolution), looked up by its primary key.
-- params:
--   $1 cells bigint[] (cells at the patrol coverage resolution, e.g. children of the targets)
--   $2 since date (first day looked at)
--   $3 before timestamptz
-- returns rows: cell text (hex), last_at timestamptz
SELECT h3_to_hex(p.cell) AS cell, max(least(p.last_at, $3::timestamptz)) AS last_at
FROM patrol_cell_day p
WHERE p.cell = ANY ($1::bigint[]) AND p.day >= $2::date AND p.first_at < $3::timestamptz
GROUP BY p.cell
