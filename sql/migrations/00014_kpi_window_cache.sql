-- Per-window KPI facts of every grid, kept up to date incrementally.
--
-- The KPI table of all grids for a window sums daily aggregates, takes medians of close times and
-- counts patrol cells first covered in the window: ~400 ms at the city preset even on the
-- aggregates of 00007/00011. The command centre asks for the same few windows over and over (this
-- cycle, the last 30 days), so the window-dependent facts of each grid are stored per requested
-- window (kpi_window_grid) and, when the derived tables change, recomputed for the grids that
-- changed only (kpi_window_dirty, filled by statement triggers). What depends on the moment of the
-- request (open events already overdue) and what does not depend on the window (registration,
-- the visit snapshot, the grid's cells) is read live.
--
-- At most kpi_window_limit() windows are kept; the least recently used go first.

CREATE TABLE kpi_window (
  from_day date NOT NULL,
  to_day   date NOT NULL,
  used_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (from_day, to_day),
  CHECK (from_day <= to_day)
);

CREATE TABLE kpi_window_grid (
  from_day              date NOT NULL,
  to_day                date NOT NULL,
  grid_id               integer NOT NULL,
  events_reported       integer NOT NULL,
  events_due            integer NOT NULL,
  events_closed         integer NOT NULL,
  events_on_time        integer NOT NULL,
  median_close_hours    float8,
  patrol_cells_covered  integer NOT NULL,
  key_locations         integer NOT NULL,
  key_locations_covered integer NOT NULL,
  PRIMARY KEY (from_day, to_day, grid_id),
  FOREIGN KEY (from_day, to_day) REFERENCES kpi_window ON DELETE CASCADE
);

-- Grids whose window facts are out of date in every kept window.
CREATE TABLE kpi_window_dirty (grid_id integer PRIMARY KEY);

-- Open events by due day: the live overdue count reads only these.
CREATE INDEX kpi_event_open_due ON kpi_event (due_day) INCLUDE (grid_id, due_at) WHERE closed_at IS NULL AND NOT cancelled;

CREATE FUNCTION kpi_window_limit() RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT 8 $$;

-- The window-dependent facts of some grids (NULL = all grids), as stats_kpi computes them.
CREATE FUNCTION kpi_window_facts(from_day date, to_day date, ids integer[])
RETURNS TABLE (grid_id integer, events_reported integer, events_due integer, events_closed integer, events_on_time integer,
               median_close_hours float8, patrol_cells_covered integer, key_locations integer, key_locations_covered integer)
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
  )
  SELECT g.grid_id, coalesce(ev.reported, 0), coalesce(ev.due, 0), coalesce(ev.closed, 0), coalesce(ev.on_time, 0),
         med.median_h, coalesce(pat.covered, 0), coalesce(kl.n, 0), coalesce(kl.covered, 0)
  FROM g LEFT JOIN ev USING (grid_id) LEFT JOIN med USING (grid_id) LEFT JOIN pat USING (grid_id) LEFT JOIN kl USING (grid_id)
$$;

-- Refresh and first fill take this lock, so a window being filled never misses a refresh.
CREATE FUNCTION kpi_window_lock_key() RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT 7420251129::bigint $$;

-- Makes sure a window is kept (filling it for every grid the first time). Returns true when it filled it.
CREATE FUNCTION kpi_window_ensure(w_from date, w_to date) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
BEGIN
  UPDATE kpi_window SET used_at = now() WHERE from_day = w_from AND to_day = w_to AND used_at < now() - interval '1 minute';
  IF EXISTS (SELECT 1 FROM kpi_window WHERE from_day = w_from AND to_day = w_to) THEN
    RETURN false;
  END IF;
  PERFORM pg_advisory_xact_lock(kpi_window_lock_key());
  INSERT INTO kpi_window (from_day, to_day) VALUES (w_from, w_to) ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  -- Marks not yet applied concern the kept windows; this one is computed from the current rows.
  INSERT INTO kpi_window_grid SELECT w_from, w_to, f.* FROM kpi_window_facts(w_from, w_to, NULL) f;
  DELETE FROM kpi_window WHERE (from_day, to_day) IN (
    SELECT from_day, to_day FROM kpi_window ORDER BY used_at DESC, from_day DESC, to_day DESC OFFSET kpi_window_limit());
  RETURN true;
END $$;

-- Recomputes the marked grids in every kept window. Returns the number of grids, or -1 when
-- another session holds the lock and `wait` is false (that session applies the marks). Readers
-- wait, so they never read a kept window with marks pending.
CREATE FUNCTION kpi_window_refresh(wait boolean) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
  ids integer[];
  w record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM kpi_window_dirty) THEN
    RETURN 0;
  END IF;
  IF wait THEN
    PERFORM pg_advisory_xact_lock(kpi_window_lock_key());
  ELSIF NOT pg_try_advisory_xact_lock(kpi_window_lock_key()) THEN
    RETURN -1;
  END IF;
  WITH taken AS (DELETE FROM kpi_window_dirty RETURNING grid_id) SELECT array_agg(grid_id) INTO ids FROM taken;
  IF ids IS NULL THEN
    RETURN 0;
  END IF;
  FOR w IN SELECT from_day, to_day FROM kpi_window LOOP
    DELETE FROM kpi_window_grid g WHERE g.from_day = w.from_day AND g.to_day = w.to_day AND g.grid_id = ANY (ids);
    INSERT INTO kpi_window_grid SELECT w.from_day, w.to_day, f.* FROM kpi_window_facts(w.from_day, w.to_day, ids) f;
  END LOOP;
  RETURN cardinality(ids);
END $$;

-- Marks: statement triggers with transition tables (one per event: PostgreSQL allows a transition
-- table only on a single-event trigger). Nothing is marked while no window is kept (bulk loads).
CREATE FUNCTION kpi_window_mark() RETURNS trigger
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

-- A truncated source (a full rebuild) makes every kept window stale: drop them all.
CREATE FUNCTION kpi_window_forget() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  DELETE FROM kpi_window;
  DELETE FROM kpi_window_dirty;
  RETURN NULL;
END $$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['kpi_grid_event_day', 'kpi_event', 'patrol_grid_first', 'patrol_key_day', 'key_location'] LOOP
    EXECUTE format('CREATE TRIGGER kpi_window_mark_ins AFTER INSERT ON %I REFERENCING NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION kpi_window_mark()', t);
    EXECUTE format('CREATE TRIGGER kpi_window_mark_upd AFTER UPDATE ON %I REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new FOR EACH STATEMENT EXECUTE FUNCTION kpi_window_mark()', t);
    EXECUTE format('CREATE TRIGGER kpi_window_mark_del AFTER DELETE ON %I REFERENCING OLD TABLE AS changed_old FOR EACH STATEMENT EXECUTE FUNCTION kpi_window_mark()', t);
    EXECUTE format('CREATE TRIGGER kpi_window_forget AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION kpi_window_forget()', t);
  END LOOP;
END $$;
