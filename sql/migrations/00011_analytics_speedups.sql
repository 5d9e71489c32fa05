-- 00011 analytics speed-ups measured at the city preset (issue #4), applied forward:
--  * event_cell becomes the heat fact table: what heat and hotspot queries filter on is copied from
--    event by triggers, with the event's grid, so a viewport is one index-only range scan and
--    jurisdiction is checked on the row itself (the policy of 00009 ran an EXISTS on event per row);
--  * patrol geometry changes are counted in one row, so ingest and KPI reads can tell cheaply
--    whether the cell tables must be resynchronised;
--  * patrol_grid_first is found by the day range straddling a window's start (GiST on daterange);
--  * a full patrol rebuild computes the per-cell, per-grid and key-location tables in bulk.

-- ---------------------------------------------------------------------------------------------
-- Heat fact table.
-- Heat queries read only event_cell, through the time index with the bbox tested on the included
-- lon/lat: reading the wide event rows scattered over the heap made a city-scale viewport slow
-- (600-1,300 ms for 55k events in 30 days). There is deliberately no GiST index here: the planner
-- underestimated it (49 rows for 100k) and chose it over the time index at ten times the cost.
ALTER TABLE event_cell
  ADD COLUMN reported_at timestamptz,
  ADD COLUMN type        text,
  ADD COLUMN subtype     text,
  ADD COLUMN lon         double precision,
  ADD COLUMN lat         double precision,
  -- cancelled events (duplicates, invalid reports) are never counted
  ADD COLUMN counted     boolean,
  ADD COLUMN grid_id     integer;

UPDATE event_cell c
   SET reported_at = e.reported_at, type = e.type, subtype = e.subtype, lon = ST_X(e.geom), lat = ST_Y(e.geom),
       counted = e.state <> 'cancelled', grid_id = e.grid_id
  FROM event e WHERE e.id = c.event_id;
-- Events a bulk load wrote without the trigger start pending like new ones.
INSERT INTO event_cell (event_id, reported_at, type, subtype, lon, lat, counted, grid_id)
SELECT e.id, e.reported_at, e.type, e.subtype, ST_X(e.geom), ST_Y(e.geom), e.state <> 'cancelled', e.grid_id
FROM event e WHERE NOT EXISTS (SELECT 1 FROM event_cell c WHERE c.event_id = e.id);

ALTER TABLE event_cell
  ALTER COLUMN reported_at SET NOT NULL, ALTER COLUMN type SET NOT NULL, ALTER COLUMN lon SET NOT NULL,
  ALTER COLUMN lat SET NOT NULL, ALTER COLUMN counted SET NOT NULL;
CREATE INDEX event_cell_time ON event_cell (reported_at) INCLUDE (cell, lon, lat, type, subtype, grid_id)
  WHERE counted AND cell IS NOT NULL;

-- Statement-level with a transition table: a COPY of 500k events enqueues them in one INSERT.
CREATE OR REPLACE FUNCTION event_cell_enqueue() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO event_cell (event_id, reported_at, type, subtype, lon, lat, counted, grid_id)
  SELECT n.id, n.reported_at, n.type, n.subtype, ST_X(n.geom), ST_Y(n.geom), n.state <> 'cancelled', n.grid_id
  FROM new_events n
  ON CONFLICT (event_id) DO NOTHING;
  RETURN NULL;
END $$;

DROP TRIGGER event_cell_invalidate ON event;
DROP FUNCTION event_cell_invalidate();
-- A moved point makes the cell pending again; everything else is copied as it is.
CREATE FUNCTION event_cell_sync() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE event_cell
     SET reported_at = NEW.reported_at, type = NEW.type, subtype = NEW.subtype,
         counted = NEW.state <> 'cancelled', lon = ST_X(NEW.geom), lat = ST_Y(NEW.geom), grid_id = NEW.grid_id,
         cell = CASE WHEN ST_OrderingEquals(OLD.geom, NEW.geom) THEN cell END
   WHERE event_id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER event_cell_sync AFTER UPDATE OF geom, reported_at, type, subtype, state, grid_id ON event
  FOR EACH ROW WHEN (NOT ST_OrderingEquals(OLD.geom, NEW.geom)
                     OR OLD.reported_at IS DISTINCT FROM NEW.reported_at
                     OR OLD.type IS DISTINCT FROM NEW.type
                     OR OLD.subtype IS DISTINCT FROM NEW.subtype
                     OR OLD.grid_id IS DISTINCT FROM NEW.grid_id
                     OR (OLD.state = 'cancelled') IS DISTINCT FROM (NEW.state = 'cancelled'))
  EXECUTE FUNCTION event_cell_sync();

-- Same jurisdiction rule as event itself, judged on the row.
DROP POLICY jw_parent_scope ON event_cell;
SELECT jw_protect_grid_table('event_cell'::regclass);

-- ---------------------------------------------------------------------------------------------
-- Patrol geometry version.
ALTER TABLE patrol_state
  -- bumped by any write to grid or key_location; the cell tables were last checked at synced_version
  ADD COLUMN geometry_version integer NOT NULL DEFAULT 1,
  ADD COLUMN synced_version   integer NOT NULL DEFAULT 0;

-- Lets every ingest and KPI read check "did any grid or key location change?" with one row.
CREATE FUNCTION patrol_geometry_changed() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE patrol_state SET geometry_version = geometry_version + 1;
  RETURN NULL;
END $$;
CREATE TRIGGER patrol_geometry_grid AFTER INSERT OR UPDATE OR DELETE ON grid
  FOR EACH STATEMENT EXECUTE FUNCTION patrol_geometry_changed();
CREATE TRIGGER patrol_geometry_key_location AFTER INSERT OR UPDATE OR DELETE ON key_location
  FOR EACH STATEMENT EXECUTE FUNCTION patrol_geometry_changed();

-- ---------------------------------------------------------------------------------------------
-- patrol_grid_first: the rows a window [F, T] needs are those whose (prev_day, day] contains F: one
-- per covered cell (grouped), found without reading the window's other passes.
ALTER TABLE patrol_grid_first DROP CONSTRAINT patrol_grid_first_pkey, ADD PRIMARY KEY (day, grid_id, prev_day);
CREATE INDEX patrol_grid_first_straddle ON patrol_grid_first
  USING gist (daterange(prev_day, day, '(]')) INCLUDE (grid_id, cells);

-- ---------------------------------------------------------------------------------------------
-- Candidate contacts in the caller's _patrol_candidate(key_location_id, device_id, day, t0, t1,
-- lon0, lat0, lon1, lat1) that really pass within the buffer (on the ellipsoid) are merged with the
-- passes they touch (same location, device and day; gaps under merge_gap_s join); the (location,
-- day) pairs changed are added to the caller's _patrol_kd.
CREATE FUNCTION patrol_merge_contacts() RETURNS void LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  buffer_m float8 := (kpi_cfg('patrol.coverage') ->> 'buffer_m')::float8;
  merge_s float8 := (kpi_cfg('patrol.key_location') ->> 'merge_gap_s')::float8;
BEGIN
  CREATE TEMP TABLE _patrol_contact ON COMMIT DROP AS
    SELECT c.key_location_id, c.device_id, c.day, c.t0, c.t1
    FROM _patrol_candidate c
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
  DROP TABLE _patrol_contact, _patrol_merge;
END $$;

-- Applies one batch of derived rows computed by the ingester (see 00007); key-location contacts
-- now go through patrol_merge_contacts(), shared with the bulk rebuild.
CREATE OR REPLACE FUNCTION patrol_apply(
  r_device integer[], r_from date[],
  c_device integer[], c_day date[], c_cell bigint[], c_first timestamptz[], c_last timestamptz[], c_segments integer[],
  k_location integer[], k_device integer[], k_day date[], k_t0 timestamptz[], k_t1 timestamptz[],
  k_lon0 float8[], k_lat0 float8[], k_lon1 float8[], k_lat1 float8[],
  grid_first boolean
) RETURNS void LANGUAGE plpgsql SET jit = off AS $$
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
  -- passes they touch.
  CREATE TEMP TABLE _patrol_kd ON COMMIT DROP AS
    SELECT p.key_location_id, p.day FROM unnest(r_device, r_from) AS r(device_id, from_day)
    JOIN patrol_key_pass p ON p.device_id = r.device_id AND p.day >= r.from_day;
  DELETE FROM patrol_key_pass p USING unnest(r_device, r_from) AS r(device_id, from_day)
  WHERE p.device_id = r.device_id AND p.day >= r.from_day;
  CREATE TEMP TABLE _patrol_candidate ON COMMIT DROP AS
    SELECT * FROM unnest(k_location, k_device, k_day, k_t0, k_t1, k_lon0, k_lat0, k_lon1, k_lat1)
      AS c(key_location_id, device_id, day, t0, t1, lon0, lat0, lon1, lat1);
  PERFORM patrol_merge_contacts();

  DELETE FROM patrol_key_day d USING (SELECT DISTINCT key_location_id, day FROM _patrol_kd) k
  WHERE d.key_location_id = k.key_location_id AND d.day = k.day;
  INSERT INTO patrol_key_day (day, key_location_id, passes, last_at)
  SELECT p.day, p.key_location_id, count(*), max(p.last_at)
  FROM (SELECT DISTINCT key_location_id, day FROM _patrol_kd) k
  JOIN patrol_key_pass p ON p.key_location_id = k.key_location_id AND p.day = k.day
  GROUP BY p.day, p.key_location_id;

  DROP TABLE _patrol_new, _patrol_gone, _patrol_keys, _patrol_cells, _patrol_kd, _patrol_candidate;
END $$;

-- End of a full patrol rebuild: the ingester has inserted every device's rows into
-- patrol_device_cell_day (tables truncated first) and its candidate contacts into the temp table
-- _patrol_candidate; the per-cell, per-grid and key-location tables are computed here in bulk.
CREATE FUNCTION patrol_finish_rebuild() RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  INSERT INTO patrol_cell_day (cell, day, devices, first_at, last_at)
  SELECT cell, day, count(*), min(first_at), max(last_at) FROM patrol_device_cell_day GROUP BY cell, day;
  PERFORM patrol_rebuild_grid_first(NULL);
  CREATE TEMP TABLE _patrol_kd (key_location_id integer, day date) ON COMMIT DROP;
  PERFORM patrol_merge_contacts();
  INSERT INTO patrol_key_day (day, key_location_id, passes, last_at)
  SELECT day, key_location_id, count(*), max(last_at) FROM patrol_key_pass GROUP BY day, key_location_id;
  DROP TABLE _patrol_kd;
END $$;
