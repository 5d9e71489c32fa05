-- address_detail: one standard address (标准地址) as a click on the map shows it: text, category,
-- grid and community, and its 一标三实 registration by the KPI engine's own rule (kpi_address_facts,
-- computed now rather than read from the kept table), with the housing record (实有房屋) and how
-- many residents (实有人口) and units (实有单位) are recorded there. Runs as the caller: row-level
-- security leaves out addresses outside the caller's jurisdiction (no row).
-- params:
--   $1 address_id integer
-- returns at most one row: id int, code text, address_text text, category text, vacant bool,
--   grid_id int | null, grid_name text | null, community_name text | null, lon float8, lat float8,
--   registered bool, missing text[], building_type text | null, usage text | null, floors int | null,
--   rented bool | null, residents int, units int
SELECT a.id, a.code, a.address_text, a.category, a.vacant, a.grid_id, g.name AS grid_name, c.name AS community_name,
       round(ST_X(a.geom)::numeric, 7)::float8 AS lon, round(ST_Y(a.geom)::numeric, 7)::float8 AS lat,
       f.registered, f.missing, h.building_type, h.usage, h.floors, h.rented,
       (SELECT count(*) FROM resident r WHERE r.address_id = a.id)::int AS residents,
       (SELECT count(*) FROM org_unit u WHERE u.address_id = a.id)::int AS units
FROM address a
LEFT JOIN grid g ON g.id = a.grid_id
LEFT JOIN community c ON c.id = g.community_id
LEFT JOIN housing h ON h.address_id = a.id
CROSS JOIN LATERAL kpi_address_facts(ARRAY[a.id]) f
WHERE a.id = $1::int
