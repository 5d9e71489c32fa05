-- Heat and hotspot analytics: each event's H3 cell at resolution 11, stored as bigint.
-- Neither PGlite nor Debian ships h3-pg, so cells are computed in TypeScript (h3-js) and only the
-- pure bit arithmetic of the H3 index lives here: the parent at resolution 7-10 is the same index
-- with a smaller resolution field and the finer digits set to 7 ("unused").
--
-- H3 index layout (https://h3geo.org/docs/core-library/h3Indexing): bit 63 reserved (0), bits 59-62
-- mode (1 = cell), bits 56-58 reserved, bits 52-55 resolution, bits 45-51 base cell, then fifteen
-- 3-bit digits, digit i (1..15) at bits 3*(15-i) .. 3*(15-i)+2.

-- Resolution field of an H3 index.
CREATE FUNCTION h3_resolution(cell bigint) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ((cell >> 52) & 15)::integer
$$;

-- Parent cell at resolution res (0 <= res <= the cell's own resolution), else NULL. Plain SQL and
-- not STRICT so the planner inlines it into aggregations over hundreds of thousands of rows.
CREATE FUNCTION h3_cell_to_parent(cell bigint, res integer) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN res BETWEEN 0 AND ((cell >> 52) & 15)
              THEN (cell & ~(15::bigint << 52)) | (res::bigint << 52) | ((1::bigint << (3 * (15 - res))) - 1)
         END
$$;

-- The hexadecimal form h3-js and deck.gl use (an H3 cell index always has 15 hex digits).
CREATE FUNCTION h3_to_hex(cell bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lpad(to_hex(cell), 15, '0')
$$;

-- One row per event. The row is created with cell NULL by the trigger below ("pending") and filled
-- by assignEventCells() in api/analytics/cells.ts; a geometry change puts it back to pending. The
-- partial index makes "is anything pending?" a constant-time check that routes run before reading.
CREATE TABLE event_cell (
  event_id integer PRIMARY KEY REFERENCES event(id),
  cell     bigint CHECK (cell IS NULL OR (h3_resolution(cell) = 11 AND ((cell >> 59) & 15) = 1))
);
CREATE INDEX event_cell_pending ON event_cell (event_id) WHERE cell IS NULL;
-- Events that existed before this migration start pending like new ones.
INSERT INTO event_cell (event_id) SELECT id FROM event;

-- Statement-level with a transition table: a COPY of 500k events enqueues them in one INSERT.
CREATE FUNCTION event_cell_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO event_cell (event_id) SELECT n.id FROM new_events n ON CONFLICT (event_id) DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER event_cell_enqueue AFTER INSERT ON event
  REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION event_cell_enqueue();

CREATE FUNCTION event_cell_invalidate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE event_cell SET cell = NULL WHERE event_id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER event_cell_invalidate AFTER UPDATE OF geom ON event
  FOR EACH ROW WHEN (NOT ST_OrderingEquals(OLD.geom, NEW.geom))
  EXECUTE FUNCTION event_cell_invalidate();

-- Defaults of the heat and hotspot routes; the time window defaults to the current cycle.
INSERT INTO config (key, value, description) VALUES
  ('heat.defaults',
   '{"cycle":"month","res":9,"k":1,"period_days":7,"periods":8}',
   '热力与热点分析默认值：统计周期(month|week)、H3分辨率、邻域环数k、新兴热点每期天数与期数 / heat and hotspot defaults: cycle (month|week), H3 resolution, k-ring, emerging-hotspot period length and count');
