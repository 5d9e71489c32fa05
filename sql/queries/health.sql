-- health: database identity and schema state for /api/health.
-- returns one row: server_version text, postgis_version text, schema_version int, grids int
SELECT current_setting('server_version') AS server_version,
       postgis_lib_version() AS postgis_version,
       (SELECT coalesce(max(version), 0)::int FROM schema_migrations) AS schema_version,
       (SELECT count(*)::int FROM grid) AS grids
