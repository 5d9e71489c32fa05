-- stats_area: counts and KPIs inside a drawn polygon (框选统计), for a day window. Run under the
-- caller's scoped role, so row-level security limits every count to their grids; only columns an
-- analyst may read are used (aggregates, no personal data). Points on the boundary count as inside.
-- Events are counted by the day they were reported (type, state); closed/on time use the KPI
-- cohort: events (not cancelled) whose deadline falls in the window. Visits are those of addresses
-- inside, on days of the window. Grids: every visible grid whose area overlaps the polygon, with the
-- share of the grid's area inside (geography areas, m²).
-- params:
--   $1 polygon_geojson text (a valid Polygon or MultiPolygon, WGS84)
--   $2 from_day date (first local day of the window)
--   $3 to_day date (last local day, inclusive)
-- returns one row: area_m2 float8,
--   addresses jsonb {total, registered, by_category: [{category, total, registered}]},
--   events jsonb {reported, by_type: [{type, reported}], by_state: [{state, events}], due, closed, on_time},
--   visits jsonb {total, standard},
--   key_locations jsonb {total, by_type: [{type, count}]},
--   joint_defense_points int,
--   grids jsonb [{grid_id, code, name, area_m2, inside_m2, share}]
WITH p AS (
  SELECT ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326) AS g
),
a AS (
  SELECT a.id, a.category, coalesce(k.registered, false) AS registered
  FROM address a CROSS JOIN p LEFT JOIN kpi_address k ON k.address_id = a.id
  WHERE ST_Intersects(p.g, a.geom)
),
ac AS (
  SELECT a.category, count(*)::int AS total, count(*) FILTER (WHERE a.registered)::int AS registered
  FROM a GROUP BY a.category
),
e AS (
  SELECT e.id, e.type, e.state, k.reported_day, k.due_day, k.due_at, k.closed_at, k.cancelled
  FROM event e CROSS JOIN p JOIN kpi_event k ON k.event_id = e.id
  WHERE ST_Intersects(p.g, e.geom)
),
er AS (SELECT * FROM e WHERE e.reported_day BETWEEN $2::date AND $3::date),
ed AS (SELECT * FROM e WHERE NOT e.cancelled AND e.due_day BETWEEN $2::date AND $3::date),
v AS (
  SELECT count(*)::int AS total, count(*) FILTER (WHERE kv.standard)::int AS standard
  FROM kpi_visit kv
  WHERE kv.visit_day BETWEEN $2::date AND $3::date AND kv.address_id IN (SELECT id FROM a)
),
kl AS (
  SELECT k.type, count(*)::int AS n FROM key_location k CROSS JOIN p WHERE ST_Intersects(p.g, k.geom) GROUP BY k.type
),
gr AS (
  SELECT g.id AS grid_id, g.code, g.name, g.area_m2,
         ST_Area(ST_Intersection(g.geom, p.g)::geography) AS inside_m2
  FROM grid g CROSS JOIN p
  WHERE ST_Intersects(g.geom, p.g)
)
SELECT (SELECT ST_Area(g::geography) FROM p) AS area_m2,
       jsonb_build_object(
         'total', (SELECT count(*)::int FROM a),
         'registered', (SELECT count(*) FILTER (WHERE registered)::int FROM a),
         'by_category', coalesce((SELECT jsonb_agg(jsonb_build_object('category', category, 'total', total, 'registered', registered) ORDER BY category) FROM ac), '[]'::jsonb)
       ) AS addresses,
       jsonb_build_object(
         'reported', (SELECT count(*)::int FROM er),
         'by_type', coalesce((SELECT jsonb_agg(jsonb_build_object('type', type, 'reported', n) ORDER BY n DESC, type)
                              FROM (SELECT type, count(*)::int AS n FROM er GROUP BY type) t), '[]'::jsonb),
         'by_state', coalesce((SELECT jsonb_agg(jsonb_build_object('state', state, 'events', n) ORDER BY n DESC, state)
                               FROM (SELECT state, count(*)::int AS n FROM er GROUP BY state) t), '[]'::jsonb),
         'due', (SELECT count(*)::int FROM ed),
         'closed', (SELECT count(*) FILTER (WHERE closed_at IS NOT NULL)::int FROM ed),
         'on_time', (SELECT count(*) FILTER (WHERE closed_at <= due_at)::int FROM ed)
       ) AS events,
       (SELECT jsonb_build_object('total', total, 'standard', standard) FROM v) AS visits,
       jsonb_build_object(
         'total', coalesce((SELECT sum(n)::int FROM kl), 0),
         'by_type', coalesce((SELECT jsonb_agg(jsonb_build_object('type', type, 'count', n) ORDER BY n DESC, type) FROM kl), '[]'::jsonb)
       ) AS key_locations,
       (SELECT count(*)::int FROM joint_defense_point j CROSS JOIN p WHERE ST_Intersects(p.g, j.geom)) AS joint_defense_points,
       coalesce((SELECT jsonb_agg(jsonb_build_object('grid_id', grid_id, 'code', code, 'name', name, 'area_m2', area_m2,
                                                     'inside_m2', inside_m2, 'share', inside_m2 / nullif(area_m2, 0)) ORDER BY grid_id)
                 FROM gr WHERE inside_m2 > 0), '[]'::jsonb) AS grids
