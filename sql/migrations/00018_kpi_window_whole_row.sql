-- The kept KPI window holds the whole per-grid KPI row except what depends on the moment of the
-- request (open events already overdue): registration, the visit snapshot at the window's last day
-- and the grid's patrol cells join the window-dependent facts of 00014. Reading a city's KPI table
-- is then one scan of the kept rows joined to the grids, instead of five joins of 5,000 rows each.
-- The same statement triggers mark grids whose registration, visit snapshot (of a kept window's
-- last day only) or cells change; a full rebuild (TRUNCATE) forgets every window as before.

-- Kept windows refill with the new columns on their next read.
DELETE FROM kpi_window;
DELETE FROM kpi_window_dirty;

ALTER TABLE kpi_window_grid
  ADD COLUMN addresses             integer NOT NULL,
  ADD COLUMN registered            integer NOT NULL,
  ADD COLUMN visit_need_address    integer NOT NULL,
  ADD COLUMN visit_covered_address integer NOT NULL,
  ADD COLUMN visit_need_person     integer NOT NULL,
  ADD COLUMN visit_covered_person  integer NOT NULL,
  ADD COLUMN patrol_cells          integer NOT NULL;

-- The columns are appended in the table's order: kpi_window_ensure/refresh insert `f.*`.
DROP FUNCTION kpi_window_facts(date, date, integer[]);
CREATE FUNCTION kpi_window_facts(from_day date, to_day date, ids integer[])
RETURNS TABLE (grid_id integer, events_reported integer, events_due integer, events_closed integer, events_on_time integer,
               median_close_hours float8, patrol_cells_covered integer, key_locations integer, key_locations_covered integer,
               addresses integer, registered integer, visit_need_address integer, visit_covered_address integer,
               visit_need_person integer, visit_covered_person integer, patrol_cells integer)
LANGUAGE sql STABLE SET jit = off AS $$
  WITH g AS (
    SELECT g.id AS grid_id FROM grid g WHERE ids IS NULL OR g.id = ANY (ids)
  ),
  ev AS (
    SELECT e.grid_id, sum(e.reported)::int AS reported, sum(e.due)::int AS due, sum(e.closed)::int AS closed, sum(e.on_time)::int AS on_time
    FROM kpi_grid_event_day e
    WHERE e.day BETWEEN from_day AND to_day AND (ids IS NULL OR e.grid_id = ANY (ids))
    GROUP BY e.grid_id
  ),
  med AS (
    SELECT e.grid_id,
           (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.closed_at - e.reported_at))) / 3600 AS median_h
    FROM kpi_event e
    WHERE NOT e.cancelled AND e.closed_at IS NOT NULL AND e.due_day BETWEEN from_day AND to_day AND e.grid_id IS NOT NULL
      AND (ids IS NULL OR e.grid_id = ANY (ids))
    GROUP BY e.grid_id
  ),
  pat AS (
    SELECT f.grid_id, sum(f.cells)::int AS covered
    FROM patrol_grid_first f
    WHERE daterange(f.prev_day, f.day, '(]') @> from_day AND f.day <= to_day
      AND (ids IS NULL OR f.grid_id = ANY (ids))
    GROUP BY f.grid_id
  ),
  kp AS (
    SELECT d.key_location_id, sum(d.passes)::int AS passes
    FROM patrol_key_day d
    WHERE d.day BETWEEN from_day AND to_day
      AND (ids IS NULL OR d.key_location_id IN (SELECT k.id FROM key_location k WHERE k.grid_id = ANY (ids)))
    GROUP BY d.key_location_id
  ),
  kl AS (
    SELECT k.grid_id, count(*)::int AS n,
           count(*) FILTER (WHERE coalesce(kp.passes, 0) >= ceil(k.required_passes_week * (to_day - from_day + 1) / 7.0))::int AS covered
    FROM key_location k LEFT JOIN kp ON kp.key_location_id = k.id
    WHERE k.grid_id IS NOT NULL AND (ids IS NULL OR k.grid_id = ANY (ids))
    GROUP BY k.grid_id
  ),
  reg AS (
    SELECT a.grid_id, sum(a.addresses)::int AS addresses, sum(a.registered)::int AS registered
    FROM kpi_grid_address a WHERE ids IS NULL OR a.grid_id = ANY (ids) GROUP BY a.grid_id
  ),
  v AS (
    SELECT v.grid_id, v.need_address, v.covered_address, v.need_person, v.covered_person
    FROM kpi_grid_visit_day v WHERE v.day = to_day AND (ids IS NULL OR v.grid_id = ANY (ids))
  )
  SELECT g.grid_id, coalesce(ev.reported, 0), coalesce(ev.due, 0), coalesce(ev.closed, 0), coalesce(ev.on_time, 0),
         med.median_h, coalesce(pat.covered, 0), coalesce(kl.n, 0), coalesce(kl.covered, 0),
         coalesce(reg.addresses, 0), coalesce(reg.registered, 0),
         coalesce(v.need_address, 0), coalesce(v.covered_address, 0), coalesce(v.need_person, 0), coalesce(v.covered_person, 0),
         coalesce(pc.cells, 0)
  FROM g LEFT JOIN ev USING (grid_id) LEFT JOIN med USING (grid_id) LEFT JOIN pat USING (grid_id) LEFT JOIN kl USING (grid_id)
    LEFT JOIN reg USING (grid_id) LEFT JOIN v USING (grid_id) LEFT JOIN patrol_grid_cells pc USING (grid_id)
$$;

-- As in 00014, plus: a visit snapshot row marks its grid only when its day is the last day of a
-- kept window (the daily advance writes a day no kept window ends on, and old days are dropped).
CREATE OR REPLACE FUNCTION kpi_window_mark() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM kpi_window) THEN
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'patrol_key_day' THEN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      INSERT INTO kpi_window_dirty SELECT DISTINCT k.grid_id FROM changed_new n JOIN key_location k ON k.id = n.key_location_id
        WHERE k.grid_id IS NOT NULL ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
      INSERT INTO kpi_window_dirty SELECT DISTINCT k.grid_id FROM changed_old o JOIN key_location k ON k.id = o.key_location_id
        WHERE k.grid_id IS NOT NULL ON CONFLICT DO NOTHING;
    END IF;
  ELSIF TG_TABLE_NAME = 'kpi_grid_visit_day' THEN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      INSERT INTO kpi_window_dirty SELECT DISTINCT n.grid_id FROM changed_new n
        WHERE n.day IN (SELECT w.to_day FROM kpi_window w) ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
      INSERT INTO kpi_window_dirty SELECT DISTINCT o.grid_id FROM changed_old o
        WHERE o.day IN (SELECT w.to_day FROM kpi_window w) ON CONFLICT DO NOTHING;
    END IF;
  ELSE
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      INSERT INTO kpi_window_dirty SELECT DISTINCT n.grid_id FROM changed_new n WHERE n.grid_id IS NOT NULL ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
      INSERT INTO kpi_window_dirty SELECT DISTINCT o.grid_id FROM changed_old o WHERE o.grid_id IS NOT NULL ON CONFLICT DO NOTHING;
    END IF;
  END IF;
  RETURN NULL;
END $$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['kpi_grid_address', 'kpi_grid_visit_day', 'patrol_grid_cells'] LOOP
    EXECUTE format('CREATE TRIGGER kpi_window_mark_ins AFTER INSERT ON %I REFERENCING NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION kpi_window_mark()', t);
    EXECUTE format('CREATE TRIGGER kpi_window_mark_upd AFTER UPDATE ON %I REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION kpi_window_mark()', t);
    EXECUTE format('CREATE TRIGGER kpi_window_mark_del AFTER DELETE ON %I REFERENCING OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION kpi_window_mark()', t);
    EXECUTE format('CREATE TRIGGER kpi_window_forget AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION kpi_window_forget()', t);
  END LOOP;
END $$;
