-- KPI engine: maintained per-grid aggregates behind the 警网融合 KPIs (registration, standardised
-- visits, event closure, patrol coverage), so the all-grid KPI table for any window is an index
-- scan plus GROUP BY over small tables instead of a request-time spatial join over raw rows.
--
-- How it stays current:
--   * statement-level triggers (transition tables, so a bulk COPY costs one INSERT) append the keys
--     of changed rows to kpi_dirty;
--   * kpi_refresh() drains kpi_dirty: recomputes the per-row facts of the affected addresses,
--     persons, visits and events, and applies old-vs-new differences to the per-grid tables;
--   * kpi_rebuild() recomputes everything from raw rows; tests check both give the same numbers.
-- Patrol tables (patrol_*) are written by api/patrol/ (H3 needs h3-js, there is no h3-pg).
--
-- Days are calendar days in config.timezone (Asia/Shanghai). Windows are inclusive day ranges.
-- The maintenance functions run with jit = off: their plans look expensive to the planner (many
-- subplans) and LLVM compilation cost seconds for statements that run in milliseconds.

INSERT INTO config (key, value, description) VALUES
  ('kpi.history_days', '400', '走访覆盖按日快照保留天数 / days of daily visit-coverage snapshots kept per grid'),
  ('patrol.key_location', '{"merge_gap_s":600}', '重点部位经过合并间隔（秒）/ contacts closer than this form one pass')
ON CONFLICT (key) DO NOTHING;

CREATE FUNCTION kpi_tz() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT value #>> '{}' FROM config WHERE key = 'timezone'), 'Asia/Shanghai')
$$;

CREATE FUNCTION kpi_cfg(k text) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT value FROM config WHERE key = k
$$;

CREATE FUNCTION kpi_today() RETURNS date LANGUAGE sql STABLE AS $$
  SELECT (now() AT TIME ZONE kpi_tz())::date
$$;

-- Which configuration the derived tables were computed with; a change forces a rebuild.
CREATE FUNCTION kpi_config_hash() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT md5(coalesce(string_agg(key || '=' || value::text, ';' ORDER BY key), ''))
  FROM config
  WHERE key IN ('timezone', 'kpi.history_days', 'event.deadline_hours', 'event.dispute_general_deadline_hours')
     OR key LIKE 'visit.%'
$$;

CREATE TABLE kpi_state (
  singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  config_hash  text,
  -- kpi_grid_visit_day holds every day in [horizon, through]
  horizon      date,
  through      date,
  refreshed_at timestamptz,
  rebuilt_at   timestamptz
);
INSERT INTO kpi_state DEFAULT VALUES;

-- Keys of changed source rows, drained by kpi_refresh(). No key: duplicates are cheaper to insert
-- than to prevent, and the refresh takes DISTINCT.
CREATE TABLE kpi_dirty (
  kind text NOT NULL CHECK (kind IN ('address', 'person', 'visit', 'event', 'staff', 'grid')),
  id   integer NOT NULL
);

-- TG_ARGV: kind, key column. One function for every table; transition tables are named
-- new_rows / old_rows by every trigger below.
CREATE FUNCTION kpi_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    EXECUTE format('INSERT INTO kpi_dirty (kind, id) SELECT DISTINCT %L, %I FROM new_rows WHERE %I IS NOT NULL',
                   TG_ARGV[0], TG_ARGV[1], TG_ARGV[1]);
  ELSIF TG_OP = 'UPDATE' THEN
    EXECUTE format('INSERT INTO kpi_dirty (kind, id) SELECT %L, k FROM (SELECT %I AS k FROM new_rows UNION SELECT %I FROM old_rows) u WHERE k IS NOT NULL',
                   TG_ARGV[0], TG_ARGV[1], TG_ARGV[1]);
  ELSE
    EXECUTE format('INSERT INTO kpi_dirty (kind, id) SELECT DISTINCT %L, %I FROM old_rows WHERE %I IS NOT NULL',
                   TG_ARGV[0], TG_ARGV[1], TG_ARGV[1]);
  END IF;
  RETURN NULL;
END $$;

-- PostgreSQL allows a transition table only on single-event triggers, hence three per table.
CREATE FUNCTION kpi_watch(tbl text, kind text, col text, ops text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF 'INSERT' = ANY (ops) THEN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_dirty(%L, %L)',
                   'kpi_dirty_ins_' || tbl, tbl, kind, col);
  END IF;
  IF 'UPDATE' = ANY (ops) THEN
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_dirty(%L, %L)',
                   'kpi_dirty_upd_' || tbl, tbl, kind, col);
  END IF;
  IF 'DELETE' = ANY (ops) THEN
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION kpi_mark_dirty(%L, %L)',
                   'kpi_dirty_del_' || tbl, tbl, kind, col);
  END IF;
END $$;

SELECT kpi_watch('address', 'address', 'id', ARRAY['INSERT', 'UPDATE', 'DELETE']);
SELECT kpi_watch('housing', 'address', 'address_id', ARRAY['INSERT', 'UPDATE', 'DELETE']);
SELECT kpi_watch('resident', 'address', 'address_id', ARRAY['INSERT', 'UPDATE', 'DELETE']);
SELECT kpi_watch('org_unit', 'address', 'address_id', ARRAY['INSERT', 'UPDATE', 'DELETE']);
SELECT kpi_watch('person_of_concern', 'person', 'id', ARRAY['INSERT', 'UPDATE', 'DELETE']);
SELECT kpi_watch('visit', 'visit', 'id', ARRAY['INSERT', 'UPDATE', 'DELETE']);
SELECT kpi_watch('visit_participant', 'visit', 'visit_id', ARRAY['INSERT', 'UPDATE', 'DELETE']);
SELECT kpi_watch('assignment', 'staff', 'staff_id', ARRAY['INSERT', 'UPDATE', 'DELETE']);
SELECT kpi_watch('event', 'event', 'id', ARRAY['INSERT', 'UPDATE']);
SELECT kpi_watch('grid', 'grid', 'id', ARRAY['UPDATE']);
DROP FUNCTION kpi_watch(text, text, text, text[]);

-- ---------------------------------------------------------------------------------------------
-- 一标三实 registration: one row per address, and counts per grid and category.

CREATE TABLE kpi_address (
  address_id  integer PRIMARY KEY,
  grid_id     integer,
  category    text NOT NULL,
  registered  boolean NOT NULL,
  -- why not registered: no_grid, outside_grid, no_housing, no_occupants
  missing     text[] NOT NULL
);
CREATE INDEX kpi_address_missing ON kpi_address (grid_id, address_id) WHERE NOT registered;

CREATE TABLE kpi_grid_address (
  grid_id    integer NOT NULL,
  category   text NOT NULL,
  addresses  integer NOT NULL,
  registered integer NOT NULL,
  PRIMARY KEY (grid_id, category) INCLUDE (addresses, registered)
);

-- DOMAIN.md: registered = point inside its grid, housing filled, and a resident or unit, or vacant.
-- ids NULL means every address.
CREATE FUNCTION kpi_address_facts(ids integer[])
RETURNS TABLE (address_id integer, grid_id integer, category text, registered boolean, missing text[])
LANGUAGE sql STABLE AS $$
  SELECT a.id, a.grid_id, a.category, cardinality(m.missing) = 0, m.missing
  FROM address a
  LEFT JOIN grid g ON g.id = a.grid_id
  CROSS JOIN LATERAL (
    SELECT array_remove(ARRAY[
      CASE WHEN a.grid_id IS NULL THEN 'no_grid'
           WHEN NOT ST_Intersects(g.geom, a.geom) THEN 'outside_grid' END,
      CASE WHEN NOT EXISTS (SELECT 1 FROM housing h WHERE h.address_id = a.id) THEN 'no_housing' END,
      CASE WHEN NOT a.vacant
            AND NOT EXISTS (SELECT 1 FROM resident r WHERE r.address_id = a.id)
            AND NOT EXISTS (SELECT 1 FROM org_unit u WHERE u.address_id = a.id) THEN 'no_occupants' END
    ], NULL) AS missing
  ) m
  WHERE ids IS NULL OR a.id = ANY (ids)
$$;

-- ---------------------------------------------------------------------------------------------
-- 走访 standardisation: one row per visit with the verdict and the reasons it did not count.

CREATE TABLE kpi_visit (
  visit_id    integer PRIMARY KEY,
  address_id  integer NOT NULL,
  person_id   integer,
  grid_id     integer,
  visited_at  timestamptz NOT NULL,
  visit_day   date NOT NULL,
  standard    boolean NOT NULL,
  -- no_fix, off_site, wrong_grid, not_joint, not_copresent
  reasons     text[] NOT NULL,
  distance_m  double precision
);
CREATE INDEX kpi_visit_address ON kpi_visit (address_id, visit_day) WHERE standard;
CREATE INDEX kpi_visit_person ON kpi_visit (person_id, visit_day) WHERE standard AND person_id IS NOT NULL;
CREATE INDEX kpi_visit_address_all ON kpi_visit (address_id, visited_at);
CREATE INDEX kpi_visit_person_all ON kpi_visit (person_id, visited_at) WHERE person_id IS NOT NULL;

-- Roles whose assignment makes a visitor "assigned to the grid", and the two sides of a joint visit.
-- A community-scoped officer covers every grid of the community; a part-timer covers the grid of
-- their joint-defense point. Steps go through analysed temporary tables: the planner cannot
-- estimate grouped CTEs (it assumes 200 groups) and picks nested loops that are quadratic at
-- city scale. ids NULL means every visit.
CREATE FUNCTION kpi_visit_facts(ids integer[])
RETURNS TABLE (visit_id integer, address_id integer, person_id integer, grid_id integer, visited_at timestamptz,
               visit_day date, standard boolean, reasons text[], distance_m double precision)
LANGUAGE plpgsql SET jit = off AS $$
#variable_conflict use_column
DECLARE
  tz text := kpi_tz();
  onsite_m float8 := (kpi_cfg('visit.onsite_radius_m') #>> '{}')::float8;
  co_m float8 := (kpi_cfg('visit.copresence') ->> 'radius_m')::float8;
  co_s float8 := (kpi_cfg('visit.copresence') ->> 'minutes')::float8 * 60;
BEGIN
  CREATE TEMP TABLE _kv ON COMMIT DROP AS
    SELECT v.id, v.address_id, v.person_id, a.grid_id, g.community_id, v.visited_at, a.category,
           (v.visited_at AT TIME ZONE tz)::date AS day,
           CASE WHEN v.geom IS NOT NULL THEN ST_Distance(v.geom::geography, a.geom::geography) END AS dist
    FROM visit v
    JOIN address a ON a.id = v.address_id
    LEFT JOIN grid g ON g.id = a.grid_id
    WHERE ids IS NULL OR v.id = ANY (ids);
  ANALYZE _kv;
  -- Participants holding, on the visit day, an assignment that covers the address's grid.
  CREATE TEMP TABLE _kp ON COMMIT DROP AS
    SELECT vp.visit_id, vp.staff_id, vp.geom, vp.fixed_at, r.police, r.worker
    FROM _kv v
    JOIN visit_participant vp ON vp.visit_id = v.id
    CROSS JOIN LATERAL (
      SELECT bool_or(s.role IN ('police', 'aux_police')) AS police,
             bool_or(s.role IN ('grid_leader', 'grid_worker', 'part_time')) AS worker
      FROM assignment s
      WHERE s.staff_id = vp.staff_id
        AND s.starts_on <= v.day AND (s.ends_on IS NULL OR s.ends_on >= v.day)
        AND s.role IN ('police', 'aux_police', 'grid_leader', 'grid_worker', 'part_time', 'station_chief')
        AND (s.grid_id = v.grid_id OR s.community_id = v.community_id
             OR s.joint_point_id IN (SELECT j.id FROM joint_defense_point j WHERE j.grid_id = v.grid_id))
      HAVING count(*) > 0
    ) r;
  ANALYZE _kp;
  RETURN QUERY
  WITH assigned AS (SELECT DISTINCT p.visit_id FROM _kp p),
  -- a police-side participant with a different grid-side one (joint), and whether co-present
  pair AS (
    SELECT pp.visit_id,
           coalesce(bool_or(ST_DWithin(pp.geom::geography, gp.geom::geography, co_m)
                            AND abs(extract(epoch FROM pp.fixed_at - gp.fixed_at)) <= co_s), false) AS copresent
    FROM _kp pp JOIN _kp gp ON gp.visit_id = pp.visit_id AND gp.staff_id <> pp.staff_id AND gp.worker
    WHERE pp.police
    GROUP BY pp.visit_id
  )
  SELECT v.id, v.address_id, v.person_id, v.grid_id, v.visited_at, v.day, cardinality(r.reasons) = 0, r.reasons, v.dist
  FROM _kv v
  LEFT JOIN assigned a ON a.visit_id = v.id
  LEFT JOIN pair ON pair.visit_id = v.id
  CROSS JOIN LATERAL (
    SELECT array_remove(ARRAY[
      CASE WHEN v.dist IS NULL THEN 'no_fix' WHEN v.dist > onsite_m THEN 'off_site' END,
      CASE WHEN v.grid_id IS NULL OR a.visit_id IS NULL THEN 'wrong_grid' END,
      CASE WHEN v.category IN ('key', 'attention') AND a.visit_id IS NOT NULL AND pair.visit_id IS NULL THEN 'not_joint' END,
      CASE WHEN v.category IN ('key', 'attention') AND pair.visit_id IS NOT NULL AND NOT pair.copresent THEN 'not_copresent' END
    ], NULL) AS reasons
  ) r;
  DROP TABLE _kv, _kp;
END $$;

-- Visit coverage as intervals of days. A subject (address, or person of concern) "needs" visits
-- over [need_from, need_until) and is "covered" on day D when its last standardised visit day d
-- satisfies D - cycle < d <= D, i.e. over [d, d + cycle). Overlapping covers are merged, so the
-- number of intervals containing D is the number of subjects covered on D: additive per grid.
CREATE TABLE kpi_visit_interval (
  subject    text NOT NULL CHECK (subject IN ('address', 'person')),
  subject_id integer NOT NULL,
  grid_id    integer NOT NULL,
  class      text NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('need', 'covered')),
  from_day   date NOT NULL,
  until_day  date NOT NULL,
  CHECK (until_day > from_day)
);
CREATE INDEX kpi_visit_interval_subject ON kpi_visit_interval (subject, subject_id);
CREATE INDEX kpi_visit_interval_from ON kpi_visit_interval (from_day);
CREATE INDEX kpi_visit_interval_until ON kpi_visit_interval (until_day) WHERE until_day <> 'infinity';

-- Daily snapshot per grid: subjects needing visits and subjects covered at the end of each day in
-- [kpi_state.horizon, kpi_state.through]; only non-zero rows are stored. The per-grid tables carry
-- their counts in the primary key (INCLUDE) so window reads are index-only scans.
CREATE TABLE kpi_grid_visit_day (
  day             date NOT NULL,
  grid_id         integer NOT NULL,
  need_address    integer NOT NULL,
  covered_address integer NOT NULL,
  need_person     integer NOT NULL,
  covered_person  integer NOT NULL,
  PRIMARY KEY (day, grid_id) INCLUDE (need_address, covered_address, need_person, covered_person)
);

-- ids NULL means every subject of that kind. Temporary tables for the planner, as above.
CREATE FUNCTION kpi_subject_intervals(addr_ids integer[], person_ids integer[])
RETURNS TABLE (subject text, subject_id integer, grid_id integer, class text, kind text, from_day date, until_day date)
LANGUAGE plpgsql SET jit = off AS $$
#variable_conflict use_column
DECLARE
  tz text := kpi_tz();
  ac jsonb := kpi_cfg('visit.cycle_days.address');
  pc jsonb := kpi_cfg('visit.cycle_days.control_level');
BEGIN
  CREATE TEMP TABLE _ks ON COMMIT DROP AS
    SELECT 'address'::text AS subject, a.id AS subject_id, a.grid_id, a.category AS class,
           (ac ->> a.category)::int AS cycle,
           (a.created_at AT TIME ZONE tz)::date AS need_from, 'infinity'::date AS need_until
    FROM address a
    WHERE a.grid_id IS NOT NULL AND (addr_ids IS NULL OR a.id = ANY (addr_ids))
    UNION ALL
    SELECT 'person', p.id, a.grid_id, 'control_' || p.control_level, (pc ->> p.control_level::text)::int,
           p.since, coalesce(p.until + 1, 'infinity'::date)
    FROM person_of_concern p JOIN address a ON a.id = p.address_id
    WHERE a.grid_id IS NOT NULL AND (person_ids IS NULL OR p.id = ANY (person_ids));
  ANALYZE _ks;
  -- Distinct standardised visit days per subject, with the subject's cycle.
  CREATE TEMP TABLE _kd ON COMMIT DROP AS
    SELECT DISTINCT s.subject, s.subject_id, s.cycle, k.visit_day AS d
    FROM _ks s JOIN kpi_visit k ON k.standard AND k.address_id = s.subject_id
    WHERE s.subject = 'address'
    UNION
    SELECT s.subject, s.subject_id, s.cycle, k.visit_day
    FROM _ks s JOIN kpi_visit k ON k.standard AND k.person_id = s.subject_id
    WHERE s.subject = 'person';
  ANALYZE _kd;
  RETURN QUERY
  WITH brk AS (
    SELECT d.subject, d.subject_id, d.cycle, d.d,
           CASE WHEN lag(d.d) OVER w + d.cycle >= d.d THEN 0 ELSE 1 END AS starts
    FROM _kd d
    WINDOW w AS (PARTITION BY d.subject, d.subject_id ORDER BY d.d)
  ),
  isl AS (
    SELECT b.subject, b.subject_id, b.cycle, b.d,
           sum(b.starts) OVER (PARTITION BY b.subject, b.subject_id ORDER BY b.d) AS island
    FROM brk b
  ),
  spans AS (
    SELECT i.subject, i.subject_id, min(i.d) AS f, max(i.d) + i.cycle AS u
    FROM isl i GROUP BY i.subject, i.subject_id, i.cycle, i.island
  )
  SELECT s.subject, s.subject_id, s.grid_id, s.class, 'need'::text, s.need_from, s.need_until
  FROM _ks s WHERE s.need_until > s.need_from
  UNION ALL
  SELECT s.subject, s.subject_id, s.grid_id, s.class, 'covered'::text, greatest(c.f, s.need_from), least(c.u, s.need_until)
  FROM spans c JOIN _ks s ON s.subject = c.subject AND s.subject_id = c.subject_id
  WHERE least(c.u, s.need_until) > greatest(c.f, s.need_from);
  DROP TABLE _ks, _kd;
END $$;

-- ---------------------------------------------------------------------------------------------
-- 动态事件: one row per event (effective deadline from config when the event has none), and daily
-- counts per grid and type. reported counts at the report day; due, closed and on_time at the due
-- day, so "closure rate for a window" = events due in the window that are closed / due.

CREATE TABLE kpi_event (
  event_id     integer PRIMARY KEY,
  grid_id      integer,
  type         text NOT NULL,
  reported_at  timestamptz NOT NULL,
  reported_day date NOT NULL,
  due_at       timestamptz NOT NULL,
  due_day      date NOT NULL,
  closed_at    timestamptz,
  cancelled    boolean NOT NULL
);
CREATE INDEX kpi_event_due ON kpi_event (due_day) INCLUDE (grid_id, reported_at, due_at, closed_at) WHERE NOT cancelled;
CREATE INDEX kpi_event_grid_due ON kpi_event (grid_id, due_day) WHERE NOT cancelled;

CREATE TABLE kpi_grid_event_day (
  day      date NOT NULL,
  grid_id  integer NOT NULL,
  type     text NOT NULL,
  reported integer NOT NULL,
  due      integer NOT NULL,
  closed   integer NOT NULL,
  on_time  integer NOT NULL,
  PRIMARY KEY (day, grid_id, type) INCLUDE (reported, due, closed, on_time)
);

CREATE FUNCTION kpi_event_facts(ids integer[])
RETURNS TABLE (event_id integer, grid_id integer, type text, reported_at timestamptz, reported_day date,
               due_at timestamptz, due_day date, closed_at timestamptz, cancelled boolean)
LANGUAGE sql STABLE AS $$
  WITH cfg AS (
    SELECT kpi_tz() AS tz, kpi_cfg('event.deadline_hours') AS dl,
           (kpi_cfg('event.dispute_general_deadline_hours') #>> '{}')::float8 AS general_h
  )
  SELECT e.id, e.grid_id, e.type, e.reported_at, (e.reported_at AT TIME ZONE cfg.tz)::date,
         d.due, (d.due AT TIME ZONE cfg.tz)::date, e.closed_at, e.state = 'cancelled'
  FROM event e
  CROSS JOIN cfg
  CROSS JOIN LATERAL (
    SELECT coalesce(e.due_at, e.reported_at + make_interval(secs => 3600 * coalesce(
      CASE WHEN e.type = 'dispute' AND e.complexity = 'general' THEN cfg.general_h END,
      (cfg.dl -> e.type ->> e.severity::text)::float8,
      72))) AS due
  ) d
  WHERE ids IS NULL OR e.id = ANY (ids)
$$;

-- ---------------------------------------------------------------------------------------------
-- Delta application. Each takes old and new fact rows from temporary tables the caller filled
-- (_kpi_old_*, _kpi_new_*), adds (new - old) to the per-grid tables and drops rows that became 0.

CREATE FUNCTION kpi_apply_address_delta() RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  CREATE TEMP TABLE _kpi_d ON COMMIT DROP AS
  SELECT grid_id, category, sum(s)::int AS n, sum(s * registered::int)::int AS r
  FROM (SELECT grid_id, category, registered, -1 AS s FROM _kpi_old_address
        UNION ALL SELECT grid_id, category, registered, 1 FROM _kpi_new_address) x
  WHERE grid_id IS NOT NULL
  GROUP BY grid_id, category
  HAVING sum(s) <> 0 OR sum(s * registered::int) <> 0;
  INSERT INTO kpi_grid_address AS t (grid_id, category, addresses, registered)
  SELECT grid_id, category, n, r FROM _kpi_d ORDER BY grid_id, category
  ON CONFLICT (grid_id, category) DO UPDATE
    SET addresses = t.addresses + excluded.addresses, registered = t.registered + excluded.registered;
  DELETE FROM kpi_grid_address t USING _kpi_d d
  WHERE t.grid_id = d.grid_id AND t.category = d.category AND t.addresses = 0 AND t.registered = 0;
  DROP TABLE _kpi_d;
END $$;

CREATE FUNCTION kpi_apply_event_delta() RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  CREATE TEMP TABLE _kpi_d ON COMMIT DROP AS
  SELECT day, grid_id, type, sum(rep)::int AS rep, sum(due)::int AS due, sum(clo)::int AS clo, sum(ont)::int AS ont
  FROM (
    SELECT reported_day AS day, grid_id, type, s AS rep, 0 AS due, 0 AS clo, 0 AS ont FROM (
      SELECT *, -1 AS s FROM _kpi_old_event UNION ALL SELECT *, 1 FROM _kpi_new_event) f
    WHERE NOT cancelled AND grid_id IS NOT NULL
    UNION ALL
    SELECT due_day, grid_id, type, 0, s, s * (closed_at IS NOT NULL)::int, s * coalesce(closed_at <= due_at, false)::int FROM (
      SELECT *, -1 AS s FROM _kpi_old_event UNION ALL SELECT *, 1 FROM _kpi_new_event) f
    WHERE NOT cancelled AND grid_id IS NOT NULL
  ) x
  GROUP BY day, grid_id, type
  HAVING sum(rep) <> 0 OR sum(due) <> 0 OR sum(clo) <> 0 OR sum(ont) <> 0;
  INSERT INTO kpi_grid_event_day AS t (day, grid_id, type, reported, due, closed, on_time)
  SELECT day, grid_id, type, rep, due, clo, ont FROM _kpi_d ORDER BY day, grid_id, type
  ON CONFLICT (day, grid_id, type) DO UPDATE
    SET reported = t.reported + excluded.reported, due = t.due + excluded.due,
        closed = t.closed + excluded.closed, on_time = t.on_time + excluded.on_time;
  DELETE FROM kpi_grid_event_day t USING _kpi_d d
  WHERE t.day = d.day AND t.grid_id = d.grid_id AND t.type = d.type
    AND t.reported = 0 AND t.due = 0 AND t.closed = 0 AND t.on_time = 0;
  DROP TABLE _kpi_d;
END $$;

-- Interval differences expanded to the materialised days only; days after `through` are produced
-- by kpi_advance() from the intervals themselves.
CREATE FUNCTION kpi_apply_interval_delta() RETURNS void LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  h date;
  t date;
BEGIN
  SELECT horizon, through INTO h, t FROM kpi_state;
  IF t IS NULL THEN RETURN; END IF;
  CREATE TEMP TABLE _kpi_d ON COMMIT DROP AS
  WITH d AS (
    SELECT subject, grid_id, kind, from_day, until_day, sum(s) AS s
    FROM (SELECT subject, grid_id, kind, from_day, until_day, -1 AS s FROM _kpi_old_interval
          UNION ALL SELECT subject, grid_id, kind, from_day, until_day, 1 FROM _kpi_new_interval) x
    GROUP BY subject, grid_id, kind, from_day, until_day
    HAVING sum(s) <> 0
  )
  SELECT g.day::date AS day, d.grid_id,
         sum(d.s) FILTER (WHERE d.subject = 'address' AND d.kind = 'need')::int AS na,
         sum(d.s) FILTER (WHERE d.subject = 'address' AND d.kind = 'covered')::int AS ca,
         sum(d.s) FILTER (WHERE d.subject = 'person' AND d.kind = 'need')::int AS np,
         sum(d.s) FILTER (WHERE d.subject = 'person' AND d.kind = 'covered')::int AS cp
  FROM d
  CROSS JOIN LATERAL generate_series(greatest(d.from_day, h)::timestamp, least(d.until_day - 1, t)::timestamp, interval '1 day') AS g(day)
  GROUP BY 1, 2;
  INSERT INTO kpi_grid_visit_day AS k (day, grid_id, need_address, covered_address, need_person, covered_person)
  SELECT day, grid_id, coalesce(na, 0), coalesce(ca, 0), coalesce(np, 0), coalesce(cp, 0)
  FROM _kpi_d ORDER BY day, grid_id
  ON CONFLICT (day, grid_id) DO UPDATE
    SET need_address = k.need_address + excluded.need_address,
        covered_address = k.covered_address + excluded.covered_address,
        need_person = k.need_person + excluded.need_person,
        covered_person = k.covered_person + excluded.covered_person;
  DELETE FROM kpi_grid_visit_day k USING _kpi_d d
  WHERE k.day = d.day AND k.grid_id = d.grid_id
    AND k.need_address = 0 AND k.covered_address = 0 AND k.need_person = 0 AND k.covered_person = 0;
  DROP TABLE _kpi_d;
END $$;

-- Extends the daily snapshots to `upto` and drops days older than the history kept. One statement:
-- from a base day (the last snapshot, or the intervals counted in full the day before the horizon)
-- each later day is the base plus the intervals starting minus those ending up to that day.
CREATE FUNCTION kpi_advance(upto date) RETURNS integer LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  h date;
  t date;
  b date;
  keep date := upto - (kpi_cfg('kpi.history_days') #>> '{}')::int;
BEGIN
  SELECT horizon, through INTO h, t FROM kpi_state;
  IF t >= upto THEN RETURN 0; END IF;
  IF t IS NULL THEN h := keep; END IF;
  b := coalesce(t, h - 1);
  INSERT INTO kpi_grid_visit_day (day, grid_id, need_address, covered_address, need_person, covered_person)
  WITH ev AS (
    SELECT b AS day, grid_id, need_address AS na, covered_address AS ca, need_person AS np, covered_person AS cp
    FROM kpi_grid_visit_day WHERE t IS NOT NULL AND day = t
    UNION ALL
    SELECT b, grid_id, (subject = 'address' AND kind = 'need')::int, (subject = 'address' AND kind = 'covered')::int,
           (subject = 'person' AND kind = 'need')::int, (subject = 'person' AND kind = 'covered')::int
    FROM kpi_visit_interval WHERE t IS NULL AND from_day <= b AND until_day > b
    UNION ALL
    SELECT from_day, grid_id, (subject = 'address' AND kind = 'need')::int, (subject = 'address' AND kind = 'covered')::int,
           (subject = 'person' AND kind = 'need')::int, (subject = 'person' AND kind = 'covered')::int
    FROM kpi_visit_interval WHERE from_day > b AND from_day <= upto
    UNION ALL
    SELECT until_day, grid_id, -(subject = 'address' AND kind = 'need')::int, -(subject = 'address' AND kind = 'covered')::int,
           -(subject = 'person' AND kind = 'need')::int, -(subject = 'person' AND kind = 'covered')::int
    FROM kpi_visit_interval WHERE until_day > b AND until_day <= upto
  ),
  d AS (SELECT day, grid_id, sum(na) AS na, sum(ca) AS ca, sum(np) AS np, sum(cp) AS cp FROM ev GROUP BY day, grid_id),
  s AS (
    SELECT g.grid_id, x::date AS day
    FROM (SELECT DISTINCT grid_id FROM d) g
    CROSS JOIN generate_series(b::timestamp, upto::timestamp, interval '1 day') x
  ),
  c AS (
    SELECT s.day, s.grid_id,
           sum(coalesce(d.na, 0)) OVER w AS na, sum(coalesce(d.ca, 0)) OVER w AS ca,
           sum(coalesce(d.np, 0)) OVER w AS np, sum(coalesce(d.cp, 0)) OVER w AS cp
    FROM s LEFT JOIN d USING (grid_id, day)
    WINDOW w AS (PARTITION BY s.grid_id ORDER BY s.day)
  )
  SELECT day, grid_id, na, ca, np, cp FROM c
  WHERE day > b AND day >= keep AND (na <> 0 OR ca <> 0 OR np <> 0 OR cp <> 0);
  IF keep > h THEN
    DELETE FROM kpi_grid_visit_day WHERE day < keep;
    h := keep;
  END IF;
  UPDATE kpi_state SET horizon = h, through = upto;
  RETURN upto - b;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Refresh and rebuild.

-- Recomputes the facts of the given subjects and applies the differences. Temp tables hold the
-- key sets: _kpi_addr(id), _kpi_person(id), _kpi_visit(id), _kpi_event(id).
CREATE FUNCTION kpi_recompute() RETURNS void LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  v_ids integer[];
  a_ids integer[];
  p_ids integer[];
  e_ids integer[];
BEGIN
  -- Visits first: their verdicts feed the visit intervals of their addresses and persons.
  SELECT coalesce(array_agg(id), '{}') INTO v_ids FROM _kpi_visit;
  CREATE TEMP TABLE _kpi_old_visit ON COMMIT DROP AS
    SELECT k.* FROM kpi_visit k WHERE k.visit_id = ANY (v_ids);
  DELETE FROM kpi_visit WHERE visit_id = ANY (v_ids);
  INSERT INTO kpi_visit SELECT * FROM kpi_visit_facts(v_ids);
  INSERT INTO _kpi_addr SELECT address_id FROM _kpi_old_visit
    UNION SELECT address_id FROM kpi_visit WHERE visit_id = ANY (v_ids);
  INSERT INTO _kpi_person SELECT person_id FROM _kpi_old_visit WHERE person_id IS NOT NULL
    UNION SELECT person_id FROM kpi_visit WHERE visit_id = ANY (v_ids) AND person_id IS NOT NULL;
  DROP TABLE _kpi_old_visit;

  -- A person's grid follows their address.
  INSERT INTO _kpi_person SELECT p.id FROM person_of_concern p JOIN _kpi_addr a ON a.id = p.address_id;
  SELECT coalesce(array_agg(DISTINCT id), '{}') INTO a_ids FROM _kpi_addr;
  SELECT coalesce(array_agg(DISTINCT id), '{}') INTO p_ids FROM _kpi_person;

  CREATE TEMP TABLE _kpi_old_address ON COMMIT DROP AS
    SELECT k.* FROM kpi_address k WHERE k.address_id = ANY (a_ids);
  DELETE FROM kpi_address WHERE address_id = ANY (a_ids);
  CREATE TEMP TABLE _kpi_new_address ON COMMIT DROP AS SELECT * FROM kpi_address_facts(a_ids);
  INSERT INTO kpi_address SELECT * FROM _kpi_new_address;
  PERFORM kpi_apply_address_delta();
  DROP TABLE _kpi_old_address, _kpi_new_address;

  CREATE TEMP TABLE _kpi_old_interval ON COMMIT DROP AS
    SELECT i.* FROM kpi_visit_interval i
    WHERE (i.subject = 'address' AND i.subject_id = ANY (a_ids)) OR (i.subject = 'person' AND i.subject_id = ANY (p_ids));
  DELETE FROM kpi_visit_interval i
    WHERE (i.subject = 'address' AND i.subject_id = ANY (a_ids)) OR (i.subject = 'person' AND i.subject_id = ANY (p_ids));
  CREATE TEMP TABLE _kpi_new_interval ON COMMIT DROP AS SELECT * FROM kpi_subject_intervals(a_ids, p_ids);
  INSERT INTO kpi_visit_interval SELECT * FROM _kpi_new_interval;
  PERFORM kpi_apply_interval_delta();
  DROP TABLE _kpi_old_interval, _kpi_new_interval;

  SELECT coalesce(array_agg(DISTINCT id), '{}') INTO e_ids FROM _kpi_event;
  CREATE TEMP TABLE _kpi_old_event ON COMMIT DROP AS
    SELECT k.* FROM kpi_event k WHERE k.event_id = ANY (e_ids);
  DELETE FROM kpi_event WHERE event_id = ANY (e_ids);
  CREATE TEMP TABLE _kpi_new_event ON COMMIT DROP AS SELECT * FROM kpi_event_facts(e_ids);
  INSERT INTO kpi_event SELECT * FROM _kpi_new_event;
  PERFORM kpi_apply_event_delta();
  DROP TABLE _kpi_old_event, _kpi_new_event;
END $$;

CREATE FUNCTION kpi_rebuild() RETURNS jsonb LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7420250907);
  -- Everything is recomputed below, by statements that see whatever committed before them.
  TRUNCATE kpi_dirty;
  TRUNCATE kpi_address, kpi_grid_address, kpi_visit, kpi_visit_interval, kpi_grid_visit_day, kpi_event, kpi_grid_event_day;

  INSERT INTO kpi_address SELECT * FROM kpi_address_facts(NULL);
  INSERT INTO kpi_grid_address (grid_id, category, addresses, registered)
  SELECT grid_id, category, count(*), count(*) FILTER (WHERE registered)
  FROM kpi_address WHERE grid_id IS NOT NULL GROUP BY grid_id, category;

  INSERT INTO kpi_visit SELECT * FROM kpi_visit_facts(NULL);
  INSERT INTO kpi_visit_interval SELECT * FROM kpi_subject_intervals(NULL, NULL);

  INSERT INTO kpi_event SELECT * FROM kpi_event_facts(NULL);
  INSERT INTO kpi_grid_event_day (day, grid_id, type, reported, due, closed, on_time)
  SELECT day, grid_id, type, sum(rep), sum(due), sum(clo), sum(ont)
  FROM (
    SELECT reported_day AS day, grid_id, type, 1 AS rep, 0 AS due, 0 AS clo, 0 AS ont
    FROM kpi_event WHERE NOT cancelled AND grid_id IS NOT NULL
    UNION ALL
    SELECT due_day, grid_id, type, 0, 1, (closed_at IS NOT NULL)::int, coalesce(closed_at <= due_at, false)::int
    FROM kpi_event WHERE NOT cancelled AND grid_id IS NOT NULL
  ) x
  GROUP BY day, grid_id, type;

  UPDATE kpi_state SET horizon = NULL, through = NULL;
  PERFORM kpi_advance(kpi_today());
  UPDATE kpi_state SET config_hash = kpi_config_hash(), rebuilt_at = now(), refreshed_at = now();
  RETURN jsonb_build_object('rebuilt', true,
    'addresses', (SELECT count(*) FROM kpi_address), 'visits', (SELECT count(*) FROM kpi_visit),
    'events', (SELECT count(*) FROM kpi_event));
END $$;

-- Drains kpi_dirty and brings the daily snapshots up to today. Only one refresh runs at a time;
-- a caller that finds one running returns at once (its changes are picked up by that or the next
-- run). A changed configuration means every verdict may change: rebuild.
CREATE FUNCTION kpi_refresh() RETURNS jsonb LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  st kpi_state;
  today date := kpi_today();
  n_dirty integer;
  n_days integer := 0;
BEGIN
  SELECT * INTO st FROM kpi_state;
  IF st.config_hash IS NOT DISTINCT FROM kpi_config_hash() AND st.through >= today
     AND NOT EXISTS (SELECT 1 FROM kpi_dirty) THEN
    RETURN jsonb_build_object('dirty', 0, 'days', 0);
  END IF;
  IF NOT pg_try_advisory_xact_lock(7420250907) THEN
    RETURN jsonb_build_object('busy', true);
  END IF;
  IF st.config_hash IS DISTINCT FROM kpi_config_hash() THEN
    RETURN kpi_rebuild();
  END IF;

  CREATE TEMP TABLE _kpi_taken ON COMMIT DROP AS
    WITH x AS (DELETE FROM kpi_dirty RETURNING kind, id) SELECT DISTINCT kind, id FROM x;
  SELECT count(*) INTO n_dirty FROM _kpi_taken;
  IF n_dirty > 0 THEN
    CREATE TEMP TABLE _kpi_addr (id integer) ON COMMIT DROP;
    CREATE TEMP TABLE _kpi_person (id integer) ON COMMIT DROP;
    CREATE TEMP TABLE _kpi_visit (id integer) ON COMMIT DROP;
    CREATE TEMP TABLE _kpi_event (id integer) ON COMMIT DROP;
    -- A redrawn grid may leave hand-placed addresses outside it.
    INSERT INTO _kpi_addr
      SELECT id FROM _kpi_taken WHERE kind = 'address'
      UNION SELECT a.id FROM address a JOIN _kpi_taken t ON t.kind = 'grid' AND a.grid_id = t.id;
    INSERT INTO _kpi_person SELECT id FROM _kpi_taken WHERE kind = 'person';
    INSERT INTO _kpi_event SELECT id FROM _kpi_taken WHERE kind = 'event';
    -- Verdicts depend on the address (place, category, grid) and on the visitors' assignments.
    INSERT INTO _kpi_visit
      SELECT id FROM _kpi_taken WHERE kind = 'visit'
      UNION SELECT v.id FROM visit v JOIN _kpi_addr a ON a.id = v.address_id
      UNION SELECT vp.visit_id FROM visit_participant vp JOIN _kpi_taken t ON t.kind = 'staff' AND t.id = vp.staff_id;
    PERFORM kpi_recompute();
    DROP TABLE _kpi_addr, _kpi_person, _kpi_visit, _kpi_event;
  END IF;
  DROP TABLE _kpi_taken;
  IF st.through IS NULL OR st.through < today THEN
    n_days := kpi_advance(today);
  END IF;
  UPDATE kpi_state SET refreshed_at = now();
  RETURN jsonb_build_object('dirty', n_dirty, 'days', n_days);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Patrol coverage. Written by api/patrol/ (H3 in TypeScript); cells are H3 indexes as bigint.

-- Cells of each grid at the coverage resolution: inside = the cell's centre is in the grid (each
-- cell belongs to at most one grid), halo = cells near the edge, used to find tracks passing close.
CREATE TABLE grid_h3_cell (
  grid_id integer NOT NULL,
  cell    bigint NOT NULL,
  inside  boolean NOT NULL,
  PRIMARY KEY (grid_id, cell)
);
CREATE UNIQUE INDEX grid_h3_cell_owner ON grid_h3_cell (cell) WHERE inside;

CREATE TABLE patrol_grid_cells (
  grid_id         integer PRIMARY KEY,
  resolution      smallint NOT NULL,
  cells           integer NOT NULL,
  grid_updated_at timestamptz NOT NULL,
  computed_at     timestamptz NOT NULL DEFAULT now()
);

-- Cells from which a travelled segment may pass within the buffer of a key location.
CREATE TABLE key_location_h3 (
  cell            bigint NOT NULL,
  key_location_id integer NOT NULL,
  PRIMARY KEY (cell, key_location_id)
);
CREATE TABLE patrol_key_location_cells (
  key_location_id integer PRIMARY KEY,
  resolution      smallint NOT NULL,
  geom_md5        text NOT NULL
);

-- What the derived patrol tables were built with, and a version bumped whenever cell tables
-- change so ingesters know to reload their in-memory cell maps.
CREATE TABLE patrol_state (
  singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  config_hash   text,
  cells_version integer NOT NULL DEFAULT 0
);
INSERT INTO patrol_state DEFAULT VALUES;

CREATE FUNCTION patrol_config_hash() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT md5(coalesce(string_agg(key || '=' || value::text, ';' ORDER BY key), ''))
  FROM config WHERE key IN ('timezone', 'patrol.segment', 'patrol.coverage', 'patrol.key_location')
$$;

-- Latest fix whose segments are in the derived tables, per device. A batch entirely after it is
-- appended; anything earlier makes the ingester recompute the device's days from that fix on.
CREATE TABLE patrol_device_state (
  device_id         integer PRIMARY KEY,
  processed_through timestamptz NOT NULL
);

-- Travelled segments (consecutive fixes of a device < max_gap_s and < max_gap_m apart) reduced to
-- the H3 cells along them, per device and day (the day of the segment's later fix).
CREATE TABLE patrol_device_cell_day (
  device_id integer NOT NULL,
  day       date NOT NULL,
  cell      bigint NOT NULL,
  first_at  timestamptz NOT NULL,
  last_at   timestamptz NOT NULL,
  segments  integer NOT NULL,
  PRIMARY KEY (device_id, day, cell)
);
CREATE INDEX patrol_device_cell_day_cell ON patrol_device_cell_day (cell, day);

CREATE TABLE patrol_cell_day (
  cell     bigint NOT NULL,
  day      date NOT NULL,
  devices  integer NOT NULL,
  first_at timestamptz NOT NULL,
  last_at  timestamptz NOT NULL,
  PRIMARY KEY (cell, day)
);

-- For each grid and day: how many of its cells were passed that day, by the day of the previous
-- pass of the same cell ('-infinity' = never before). Cells covered in a window [F, T] are exactly
-- the passes with F <= day <= T and prev_day < F (each cell's first pass in the window), so the
-- window's coverage is one range scan, whatever its length.
CREATE TABLE patrol_grid_first (
  grid_id  integer NOT NULL,
  day      date NOT NULL,
  prev_day date NOT NULL,
  cells    integer NOT NULL,
  PRIMARY KEY (day, grid_id, prev_day) INCLUDE (cells)
);

-- A pass: a device's contacts (segments within the buffer of a key location) merged when less
-- than patrol.key_location.merge_gap_s apart; passes never span midnight.
CREATE TABLE patrol_key_pass (
  key_location_id integer NOT NULL,
  device_id       integer NOT NULL,
  day             date NOT NULL,
  first_at        timestamptz NOT NULL,
  last_at         timestamptz NOT NULL,
  PRIMARY KEY (key_location_id, device_id, first_at)
);
CREATE INDEX patrol_key_pass_device ON patrol_key_pass (device_id, day);

CREATE TABLE patrol_key_day (
  day             date NOT NULL,
  key_location_id integer NOT NULL,
  passes          integer NOT NULL,
  last_at         timestamptz NOT NULL,
  PRIMARY KEY (day, key_location_id) INCLUDE (passes)
);

-- (day, prev_day) pairs of the cells in the caller's temp table _patrol_cells(cell, m), days >= m.
-- plpgsql because the temp table does not exist when the function is created.
CREATE FUNCTION patrol_cell_pairs() RETURNS TABLE (grid_id integer, day date, prev_day date)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY
  SELECT o.grid_id, q.day, q.prev_day
  FROM _patrol_cells x
  JOIN grid_h3_cell o ON o.cell = x.cell AND o.inside
  CROSS JOIN LATERAL (
    SELECT cd.day, coalesce(lag(cd.day) OVER (ORDER BY cd.day),
                            (SELECT max(p.day) FROM patrol_cell_day p WHERE p.cell = x.cell AND p.day < x.m),
                            '-infinity'::date) AS prev_day
    FROM patrol_cell_day cd WHERE cd.cell = x.cell AND cd.day >= x.m
  ) q;
END $$;

-- Applies one batch of derived rows computed by the ingester:
--   replace: device-days from which the derived rows are recomputed (deleted first);
--   cells:   (device, day, cell, first, last, segments) merged into patrol_device_cell_day;
--   contacts: candidate (key location, device, day, segment) pairs, checked here on the ellipsoid.
-- grid_first = false skips patrol_grid_first (a full rebuild recomputes it once at the end).
CREATE FUNCTION patrol_apply(
  r_device integer[], r_from date[],
  c_device integer[], c_day date[], c_cell bigint[], c_first timestamptz[], c_last timestamptz[], c_segments integer[],
  k_location integer[], k_device integer[], k_day date[], k_t0 timestamptz[], k_t1 timestamptz[],
  k_lon0 float8[], k_lat0 float8[], k_lon1 float8[], k_lat1 float8[],
  grid_first boolean
) RETURNS void LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  buffer_m float8 := (kpi_cfg('patrol.coverage') ->> 'buffer_m')::float8;
  merge_s float8 := (kpi_cfg('patrol.key_location') ->> 'merge_gap_s')::float8;
BEGIN
  CREATE TEMP TABLE _patrol_new ON COMMIT DROP AS
    SELECT * FROM unnest(c_device, c_day, c_cell, c_first, c_last, c_segments)
      AS u(device_id, day, cell, first_at, last_at, segments);
  CREATE TEMP TABLE _patrol_gone ON COMMIT DROP AS
    SELECT d.device_id, d.day, d.cell
    FROM unnest(r_device, r_from) AS r(device_id, from_day)
    JOIN patrol_device_cell_day d ON d.device_id = r.device_id AND d.day >= r.from_day;
  CREATE TEMP TABLE _patrol_keys ON COMMIT DROP AS
    SELECT cell, day FROM _patrol_new UNION SELECT cell, day FROM _patrol_gone;
  CREATE TEMP TABLE _patrol_cells ON COMMIT DROP AS
    SELECT cell, min(day) AS m FROM _patrol_keys GROUP BY cell;
  IF grid_first THEN
    CREATE TEMP TABLE _patrol_old_pairs ON COMMIT DROP AS SELECT * FROM patrol_cell_pairs();
  END IF;

  DELETE FROM patrol_device_cell_day d USING _patrol_gone g
  WHERE d.device_id = g.device_id AND d.day = g.day AND d.cell = g.cell;
  INSERT INTO patrol_device_cell_day AS t
  SELECT * FROM _patrol_new ORDER BY device_id, day, cell
  ON CONFLICT (device_id, day, cell) DO UPDATE
    SET first_at = least(t.first_at, excluded.first_at), last_at = greatest(t.last_at, excluded.last_at),
        segments = t.segments + excluded.segments;

  DELETE FROM patrol_cell_day c USING _patrol_keys k WHERE c.cell = k.cell AND c.day = k.day;
  INSERT INTO patrol_cell_day (cell, day, devices, first_at, last_at)
  SELECT d.cell, d.day, count(*), min(d.first_at), max(d.last_at)
  FROM _patrol_keys k JOIN patrol_device_cell_day d ON d.cell = k.cell AND d.day = k.day
  GROUP BY d.cell, d.day;

  IF grid_first THEN
    CREATE TEMP TABLE _patrol_d ON COMMIT DROP AS
    SELECT grid_id, day, prev_day, sum(s)::int AS s
    FROM (SELECT grid_id, day, prev_day, -1 AS s FROM _patrol_old_pairs
          UNION ALL SELECT grid_id, day, prev_day, 1 FROM patrol_cell_pairs()) x
    GROUP BY grid_id, day, prev_day HAVING sum(s) <> 0;
    INSERT INTO patrol_grid_first AS t (grid_id, day, prev_day, cells)
    SELECT grid_id, day, prev_day, s FROM _patrol_d ORDER BY day, grid_id, prev_day
    ON CONFLICT (day, grid_id, prev_day) DO UPDATE SET cells = t.cells + excluded.cells;
    DELETE FROM patrol_grid_first t USING _patrol_d d
    WHERE t.grid_id = d.grid_id AND t.day = d.day AND t.prev_day = d.prev_day AND t.cells = 0;
    DROP TABLE _patrol_old_pairs, _patrol_d;
  END IF;

  -- Key-location passes: replaced device-days lose theirs, then contacts are merged with the
  -- passes they touch (same location, device and day).
  CREATE TEMP TABLE _patrol_kd ON COMMIT DROP AS
    SELECT p.key_location_id, p.day FROM unnest(r_device, r_from) AS r(device_id, from_day)
    JOIN patrol_key_pass p ON p.device_id = r.device_id AND p.day >= r.from_day;
  DELETE FROM patrol_key_pass p USING unnest(r_device, r_from) AS r(device_id, from_day)
  WHERE p.device_id = r.device_id AND p.day >= r.from_day;

  CREATE TEMP TABLE _patrol_contact ON COMMIT DROP AS
    SELECT c.key_location_id, c.device_id, c.day, c.t0, c.t1
    FROM unnest(k_location, k_device, k_day, k_t0, k_t1, k_lon0, k_lat0, k_lon1, k_lat1)
      AS c(key_location_id, device_id, day, t0, t1, lon0, lat0, lon1, lat1)
    JOIN key_location k ON k.id = c.key_location_id
    WHERE ST_DWithin(
      CASE WHEN c.lon0 = c.lon1 AND c.lat0 = c.lat1 THEN ST_Point(c.lon1, c.lat1, 4326)
           ELSE ST_MakeLine(ST_Point(c.lon0, c.lat0, 4326), ST_Point(c.lon1, c.lat1, 4326)) END::geography,
      k.geom::geography, buffer_m);
  CREATE TEMP TABLE _patrol_merge ON COMMIT DROP AS
    WITH groups AS (SELECT DISTINCT key_location_id, device_id, day FROM _patrol_contact),
    old AS (
      DELETE FROM patrol_key_pass p USING groups g
      WHERE p.key_location_id = g.key_location_id AND p.device_id = g.device_id AND p.day = g.day
      RETURNING p.key_location_id, p.device_id, p.day, p.first_at AS t0, p.last_at AS t1
    ),
    iv AS (SELECT * FROM old UNION ALL SELECT * FROM _patrol_contact),
    br AS (
      SELECT *, CASE WHEN t0 - max(t1) OVER (PARTITION BY key_location_id, device_id, day ORDER BY t0, t1
                                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                          <= make_interval(secs => merge_s) THEN 0 ELSE 1 END AS starts
      FROM iv
    ),
    isl AS (
      SELECT *, sum(starts) OVER (PARTITION BY key_location_id, device_id, day ORDER BY t0, t1) AS island FROM br
    )
    SELECT key_location_id, device_id, day, min(t0) AS first_at, max(t1) AS last_at
    FROM isl GROUP BY key_location_id, device_id, day, island;
  INSERT INTO patrol_key_pass (key_location_id, device_id, day, first_at, last_at)
  SELECT key_location_id, device_id, day, first_at, last_at FROM _patrol_merge;
  INSERT INTO _patrol_kd SELECT key_location_id, day FROM _patrol_merge;

  DELETE FROM patrol_key_day d USING (SELECT DISTINCT key_location_id, day FROM _patrol_kd) k
  WHERE d.key_location_id = k.key_location_id AND d.day = k.day;
  INSERT INTO patrol_key_day (day, key_location_id, passes, last_at)
  SELECT p.day, p.key_location_id, count(*), max(p.last_at)
  FROM (SELECT DISTINCT key_location_id, day FROM _patrol_kd) k
  JOIN patrol_key_pass p ON p.key_location_id = k.key_location_id AND p.day = k.day
  GROUP BY p.day, p.key_location_id;

  DROP TABLE _patrol_new, _patrol_gone, _patrol_keys, _patrol_cells, _patrol_kd, _patrol_contact, _patrol_merge;
END $$;

-- patrol_grid_first recomputed from patrol_cell_day for some grids (NULL = all): after a full
-- rebuild and when grids are redrawn (their cells change owner).
CREATE FUNCTION patrol_rebuild_grid_first(grid_ids integer[]) RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  IF grid_ids IS NULL THEN
    TRUNCATE patrol_grid_first;
  ELSE
    DELETE FROM patrol_grid_first WHERE grid_id = ANY (grid_ids);
  END IF;
  INSERT INTO patrol_grid_first (grid_id, day, prev_day, cells)
  SELECT grid_id, day, prev_day, count(*)
  FROM (
    SELECT o.grid_id, cd.day,
           coalesce(lag(cd.day) OVER (PARTITION BY cd.cell ORDER BY cd.day), '-infinity'::date) AS prev_day
    FROM grid_h3_cell o JOIN patrol_cell_day cd ON cd.cell = o.cell
    WHERE o.inside AND (grid_ids IS NULL OR o.grid_id = ANY (grid_ids))
  ) x
  GROUP BY grid_id, day, prev_day;
END $$;

-- Visit status on day p_day of every subject (addresses needing visits, persons of concern) of a
-- grid, or of one address: up_to_date / due_soon / overdue / never, with the last standardised
-- visit and the verdict of the latest visit (why it did not count). Same rule as the intervals:
-- covered on D when last standardised visit day + cycle > D.
CREATE FUNCTION kpi_visit_status(p_grid integer, p_address integer, p_day date)
RETURNS TABLE (subject text, subject_id integer, code text, address_id integer, class text, cycle_days integer,
               last_standard_day date, due_day date, status text, last_visit_day date, last_visit_reasons text[])
LANGUAGE sql STABLE AS $$
  WITH cfg AS (
    SELECT kpi_tz() AS tz, kpi_cfg('visit.cycle_days.address') AS ac, kpi_cfg('visit.cycle_days.control_level') AS pc,
           (kpi_cfg('visit.due_soon_days') #>> '{}')::int AS soon
  ),
  s AS (
    SELECT 'address'::text AS subject, a.id AS subject_id, a.code, a.id AS address_id, a.category AS class,
           (cfg.ac ->> a.category)::int AS cycle
    FROM address a CROSS JOIN cfg
    WHERE (a.grid_id = p_grid OR a.id = p_address) AND (a.created_at AT TIME ZONE cfg.tz)::date <= p_day
    UNION ALL
    SELECT 'person', p.id, p.code, p.address_id, 'control_' || p.control_level, (cfg.pc ->> p.control_level::text)::int
    FROM person_of_concern p JOIN address a ON a.id = p.address_id CROSS JOIN cfg
    WHERE (a.grid_id = p_grid OR a.id = p_address) AND p.since <= p_day AND (p.until IS NULL OR p.until >= p_day)
  )
  SELECT s.subject, s.subject_id, s.code, s.address_id, s.class, s.cycle,
         coalesce(la.d, lp.d), coalesce(la.d, lp.d) + s.cycle,
         CASE WHEN coalesce(la.d, lp.d) IS NULL THEN 'never'
              WHEN coalesce(la.d, lp.d) + s.cycle <= p_day THEN 'overdue'
              WHEN coalesce(la.d, lp.d) + s.cycle - p_day <= cfg.soon THEN 'due_soon'
              ELSE 'up_to_date' END,
         coalesce(va.visit_day, vp.visit_day), coalesce(va.reasons, vp.reasons)
  FROM s
  CROSS JOIN cfg
  LEFT JOIN LATERAL (SELECT max(k.visit_day) AS d FROM kpi_visit k
                     WHERE s.subject = 'address' AND k.standard AND k.address_id = s.subject_id AND k.visit_day <= p_day) la ON true
  LEFT JOIN LATERAL (SELECT max(k.visit_day) AS d FROM kpi_visit k
                     WHERE s.subject = 'person' AND k.standard AND k.person_id = s.subject_id AND k.visit_day <= p_day) lp ON true
  LEFT JOIN LATERAL (SELECT k.visit_day, k.reasons FROM kpi_visit k
                     WHERE s.subject = 'address' AND k.address_id = s.subject_id AND k.visit_day <= p_day
                     ORDER BY k.visited_at DESC LIMIT 1) va ON true
  LEFT JOIN LATERAL (SELECT k.visit_day, k.reasons FROM kpi_visit k
                     WHERE s.subject = 'person' AND k.person_id = s.subject_id AND k.visit_day <= p_day
                     ORDER BY k.visited_at DESC LIMIT 1) vp ON true
$$;
