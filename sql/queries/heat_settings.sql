-- heat_settings: the time zone that defines local days, hours and weekdays, and the defaults of the
-- heat and hotspot routes (config keys timezone and heat.defaults).
-- returns one row: timezone text, defaults jsonb ({cycle, res, k, period_days, periods})
SELECT (SELECT value #>> '{}' FROM config WHERE key = 'timezone') AS timezone,
       (SELECT value FROM config WHERE key = 'heat.defaults') AS defaults
