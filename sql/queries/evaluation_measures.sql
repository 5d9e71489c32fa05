-- evaluation_measures: 双向评价 — the computed measures of one month for every grid leader and police
-- officer (police and auxiliary police) with an assignment in force during the month on one of the
-- given grids, plus the mean of the manual ratings they received for the month. The combined score
-- and ranking are made from these rows in api/evaluation/score.ts. Local months (config.timezone).
-- Info-collection accuracy comes from the verification records (info_verification, migration 00015).
-- params:
--   $1 period date (first day of the month)
--   $2 grid_ids integer[] (the grids in scope: the caller's, or one community's)
-- returns rows: staff_id int, name text, role text ('grid_leader' | 'police'), community_ids int[],
--   grid_ids int[],
--   info_verified int, info_correct int, info_accuracy_rate float8 | null
--                                 (grid leader: verifications made in the month of records of their
--                                  grids (the record's grid when verified); correct / verified),
--   hazards_reported int          (grid leader: hazard events they reported in the month, cancelled left out),
--   mediations_ended int, mediations_success int, mediation_success_rate float8 | null
--                                 (grid leader: mediations ended in the month where they are the
--                                  grid-leader participant by staff id, or, when no grid-leader
--                                  participant carries a staff id, that happened in their grid),
--   events_accepted int, median_accept_hours float8 | null
--                                 (grid leader: events of their grids reported in the month that were
--                                  accepted; median hours from report to the first 'accept' log entry),
--   events_closed int, median_close_hours float8 | null
--                                 (police: events closed in the month whose assignee is the officer;
--                                  median hours from report to close),
--   support_requests int, median_ack_minutes float8 | null, median_arrive_minutes float8 | null
--                                 (police: support requests addressed to the officer made in the month;
--                                  median minutes to acknowledgement and to arrival, where recorded),
--   ratings int, rating_mean float8 | null (manual ratings received for the month, 1–5)
WITH bounds AS (
  SELECT $1::date AS first_day, ($1::date + interval '1 month')::date - 1 AS last_day,
         $1::date::timestamp AT TIME ZONE kpi_tz() AS t0,
         ($1::date + interval '1 month')::timestamp AT TIME ZONE kpi_tz() AS t1
),
people AS (
  SELECT a.staff_id, CASE WHEN a.role = 'grid_leader' THEN 'grid_leader' ELSE 'police' END AS role,
         array_agg(DISTINCT g.id ORDER BY g.id) AS grid_ids,
         array_agg(DISTINCT g.community_id ORDER BY g.community_id) AS community_ids
  FROM assignment a CROSS JOIN bounds b
  JOIN grid g ON g.id = a.grid_id OR g.community_id = a.community_id
  WHERE a.role IN ('grid_leader', 'police', 'aux_police')
    AND a.starts_on <= b.last_day AND (a.ends_on IS NULL OR a.ends_on >= b.first_day)
    AND g.id = ANY ($2::int[])
  GROUP BY a.staff_id, 2
),
hazards AS (
  SELECT p.staff_id, count(*)::int AS n
  FROM people p CROSS JOIN bounds b
  JOIN event e ON e.reported_by = p.staff_id AND e.type = 'hazard' AND e.state <> 'cancelled'
              AND e.reported_at >= b.t0 AND e.reported_at < b.t1
  WHERE p.role = 'grid_leader'
  GROUP BY p.staff_id
),
verifications AS (
  SELECT p.staff_id, count(*)::int AS n, count(*) FILTER (WHERE v.result = 'correct')::int AS correct
  FROM people p CROSS JOIN bounds b
  JOIN info_verification v ON v.grid_id = ANY (p.grid_ids) AND v.verified_at >= b.t0 AND v.verified_at < b.t1
  WHERE p.role = 'grid_leader'
  GROUP BY p.staff_id
),
mediations AS (
  SELECT p.staff_id, count(*)::int AS ended, count(*) FILTER (WHERE m.outcome = 'success')::int AS success
  FROM people p CROSS JOIN bounds b
  JOIN mediation m ON m.ended_at >= b.t0 AND m.ended_at < b.t1
  JOIN event e ON e.id = m.event_id
  WHERE p.role = 'grid_leader'
    AND (EXISTS (SELECT 1 FROM mediation_participant mp WHERE mp.mediation_id = m.id AND mp.role = 'grid_leader' AND mp.staff_id = p.staff_id)
         OR (NOT EXISTS (SELECT 1 FROM mediation_participant mp WHERE mp.mediation_id = m.id AND mp.role = 'grid_leader' AND mp.staff_id IS NOT NULL)
             AND e.grid_id = ANY (p.grid_ids)))
  GROUP BY p.staff_id
),
accepts AS (
  SELECT p.staff_id, count(*)::int AS n,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM x.accepted_at - e.reported_at) / 3600)::float8 AS median_hours
  FROM people p CROSS JOIN bounds b
  JOIN event e ON e.grid_id = ANY (p.grid_ids) AND e.reported_at >= b.t0 AND e.reported_at < b.t1
  CROSS JOIN LATERAL (SELECT min(l.at) AS accepted_at FROM event_log l WHERE l.event_id = e.id AND l.action = 'accept') x
  WHERE p.role = 'grid_leader' AND x.accepted_at IS NOT NULL
  GROUP BY p.staff_id
),
closes AS (
  SELECT p.staff_id, count(*)::int AS n,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.closed_at - e.reported_at) / 3600)::float8 AS median_hours
  FROM people p CROSS JOIN bounds b
  JOIN event e ON e.assignee_id = p.staff_id AND e.closed_at >= b.t0 AND e.closed_at < b.t1
  WHERE p.role = 'police'
  GROUP BY p.staff_id
),
support AS (
  SELECT p.staff_id, count(*)::int AS n,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.acknowledged_at - r.requested_at) / 60)::float8 AS ack,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.arrived_at - r.requested_at) / 60)::float8 AS arrive
  FROM people p CROSS JOIN bounds b
  JOIN support_request r ON r.police_id = p.staff_id AND r.requested_at >= b.t0 AND r.requested_at < b.t1
  WHERE p.role = 'police'
  GROUP BY p.staff_id
),
ratings AS (
  SELECT r.ratee_id AS staff_id, count(*)::int AS n, avg(r.score)::float8 AS mean
  FROM evaluation_rating r WHERE r.period = $1::date
  GROUP BY r.ratee_id
)
SELECT p.staff_id, s.name, p.role, p.community_ids, p.grid_ids,
       coalesce(v.n, 0) AS info_verified, coalesce(v.correct, 0) AS info_correct,
       (v.correct::float8 / nullif(v.n, 0)) AS info_accuracy_rate,
       coalesce(h.n, 0) AS hazards_reported,
       coalesce(m.ended, 0) AS mediations_ended, coalesce(m.success, 0) AS mediations_success,
       (m.success::float8 / nullif(m.ended, 0)) AS mediation_success_rate,
       coalesce(a.n, 0) AS events_accepted, a.median_hours AS median_accept_hours,
       coalesce(c.n, 0) AS events_closed, c.median_hours AS median_close_hours,
       coalesce(su.n, 0) AS support_requests, su.ack AS median_ack_minutes, su.arrive AS median_arrive_minutes,
       coalesce(r.n, 0) AS ratings, r.mean AS rating_mean
FROM people p
JOIN staff s ON s.id = p.staff_id
LEFT JOIN verifications v ON v.staff_id = p.staff_id AND p.role = 'grid_leader'
LEFT JOIN hazards h ON h.staff_id = p.staff_id AND p.role = 'grid_leader'
LEFT JOIN mediations m ON m.staff_id = p.staff_id AND p.role = 'grid_leader'
LEFT JOIN accepts a ON a.staff_id = p.staff_id AND p.role = 'grid_leader'
LEFT JOIN closes c ON c.staff_id = p.staff_id AND p.role = 'police'
LEFT JOIN support su ON su.staff_id = p.staff_id AND p.role = 'police'
LEFT JOIN ratings r ON r.staff_id = p.staff_id
ORDER BY p.role, p.staff_id
