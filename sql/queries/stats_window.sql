-- stats_window: what a KPI window may ask for: today in config.timezone, the days the daily
-- visit-coverage snapshots cover, and the instant a window ending on to_day is judged at.
-- params:
--   $1 to_day date | null
-- returns one row: today text (YYYY-MM-DD), timezone text, horizon text | null, through text | null,
--   as_of timestamptz (the end of to_day, or now if earlier), refreshed_at timestamptz | null
SELECT kpi_today()::text AS today, kpi_tz() AS timezone, s.horizon::text AS horizon, s.through::text AS through,
       least(now(), ((coalesce($1::date, kpi_today()) + 1)::timestamp AT TIME ZONE kpi_tz())) AS as_of,
       s.refreshed_at
FROM kpi_state s
