-- stats_events_by_hour: events (not cancelled) reported in a local-day window, by type and by local
-- hour of day, for the big screen's charts. Run with the caller's handle: row-level security limits it.
-- params:
--   $1 from_day date
--   $2 to_day date (inclusive)
-- returns rows: type text, hour int, events int
SELECT e.type, extract(hour FROM e.reported_at AT TIME ZONE kpi_tz())::int AS hour, count(*)::int AS events
FROM event e
WHERE e.state <> 'cancelled'
  AND e.reported_at >= ($1::date::timestamp AT TIME ZONE kpi_tz())
  AND e.reported_at < (($2::date + 1)::timestamp AT TIME ZONE kpi_tz())
GROUP BY e.type, hour
ORDER BY e.type, hour
