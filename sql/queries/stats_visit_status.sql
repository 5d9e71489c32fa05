-- stats_visit_status: 走访 status of each subject (address, person of concern) of a grid or of one
-- address on a day: up_to_date / due_soon / overdue / never, with the last standardised visit and
-- the reasons the latest visit did not count. Persons appear by code only (no identity).
-- params:
--   $1 grid_id integer | null
--   $2 address_id integer | null
--   $3 day date
-- returns rows: subject text (address | person), subject_id int, code text, address_id int,
--   class text (key | attention | general | control_1..3), cycle_days int, last_standard_day text | null,
--   due_day text | null, status text, last_visit_day text | null, last_visit_reasons text[] | null
SELECT subject, subject_id, code, address_id, class, cycle_days, last_standard_day::text AS last_standard_day,
       due_day::text AS due_day, status, last_visit_day::text AS last_visit_day, last_visit_reasons
FROM kpi_visit_status($1::int, $2::int, $3::date)
ORDER BY CASE status WHEN 'never' THEN 0 WHEN 'overdue' THEN 1 WHEN 'due_soon' THEN 2 ELSE 3 END,
         due_day NULLS FIRST, subject, subject_id
