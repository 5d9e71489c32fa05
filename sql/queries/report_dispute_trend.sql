-- report_dispute_trend: 周研判 — disputes (矛盾纠纷, not cancelled) reported per local week, subtype
-- and community, over consecutive 7-day periods starting at from_day.
-- params:
--   $1 from_day date (first day of the first period, local)
--   $2 periods integer
--   $3 grid_ids integer[]
-- returns rows: period int (0 = oldest), community_id int, community_name text, subtype text, events int
WITH e AS (
  SELECT ((e.reported_at AT TIME ZONE kpi_tz())::date - $1::date) / 7 AS period, g.community_id, e.subtype
  FROM event e JOIN grid g ON g.id = e.grid_id
  WHERE e.type = 'dispute' AND e.state <> 'cancelled' AND e.grid_id = ANY ($3::int[])
    AND e.reported_at >= ($1::date::timestamp AT TIME ZONE kpi_tz())
    AND e.reported_at < (($1::date + 7 * $2::int)::timestamp AT TIME ZONE kpi_tz())
)
SELECT e.period::int AS period, e.community_id, c.name AS community_name, coalesce(e.subtype, 'other') AS subtype,
       count(*)::int AS events
FROM e JOIN community c ON c.id = e.community_id
GROUP BY e.period, e.community_id, c.name, coalesce(e.subtype, 'other')
ORDER BY e.period, c.name, subtype
