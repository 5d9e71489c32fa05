-- Patrol devices, GPS fixes, patrol plans, and the audit log.

CREATE TABLE patrol_device (
  id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code       text NOT NULL UNIQUE CHECK (code <> ''),
  kind       text NOT NULL CHECK (kind IN ('handheld', 'vehicle', 'bodycam', 'ebike')),
  staff_id   integer REFERENCES staff(id),
  active     boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Fixes arrive by the tens of millions: plain columns and a btree primary key only. No geometry
-- column and no GiST index, because per-row GiST maintenance is what makes bulk ingest slow; grid
-- and H3 cell are filled in bulk after loading (patrol analytics).
CREATE TABLE gps_fix (
  device_id  integer NOT NULL REFERENCES patrol_device(id),
  fixed_at   timestamptz NOT NULL,
  lon        double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
  lat        double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  speed_kmh  real CHECK (speed_kmh IS NULL OR (speed_kmh >= 0 AND speed_kmh < 500)),
  accuracy_m real CHECK (accuracy_m IS NULL OR accuracy_m >= 0),
  grid_id    integer,
  h3_cell    bigint,
  PRIMARY KEY (device_id, fixed_at)
);

CREATE TABLE patrol_plan (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         text NOT NULL CHECK (name <> ''),
  community_id integer REFERENCES community(id),
  area         geometry(MultiPolygon, 4326) CHECK (area IS NULL OR ST_IsValid(area)),
  shift_start  timestamptz NOT NULL,
  shift_end    timestamptz NOT NULL,
  team_size    integer NOT NULL DEFAULT 1 CHECK (team_size BETWEEN 1 AND 50),
  state        text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'approved', 'published', 'archived')),
  created_by   integer REFERENCES staff(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  version      integer NOT NULL DEFAULT 1,
  CHECK (shift_end > shift_start)
);

CREATE TABLE patrol_plan_stop (
  plan_id      integer NOT NULL REFERENCES patrol_plan(id),
  team         integer NOT NULL CHECK (team >= 1),
  seq          integer NOT NULL CHECK (seq >= 1),
  target_kind  text NOT NULL CHECK (target_kind IN ('h3_cell', 'key_location', 'manual')),
  target_ref   text,
  geom         geometry(Point, 4326) NOT NULL,
  dwell_min    integer NOT NULL DEFAULT 10 CHECK (dwell_min BETWEEN 0 AND 480),
  eta          timestamptz,
  reason       text NOT NULL,
  PRIMARY KEY (plan_id, team, seq)
);

CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL,
  action      text NOT NULL,
  target_type text NOT NULL,
  target_id   text,
  reason      text,
  client_ip   text,
  details     jsonb
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- When grids are redrawn, points that take their grid from their location follow.
CREATE FUNCTION grid_reassign_points() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE address a SET grid_id = grid_of(a.geom)
   WHERE a.grid_source = 'spatial'
     AND (ST_Intersects(a.geom, NEW.geom) OR (TG_OP = 'UPDATE' AND a.grid_id = OLD.id))
     AND a.grid_id IS DISTINCT FROM grid_of(a.geom);
  UPDATE event e SET grid_id = grid_of(e.geom)
   WHERE (ST_Intersects(e.geom, NEW.geom) OR (TG_OP = 'UPDATE' AND e.grid_id = OLD.id))
     AND e.grid_id IS DISTINCT FROM grid_of(e.geom);
  UPDATE visit v SET grid_id = a.grid_id FROM address a
   WHERE v.address_id = a.id
     AND (ST_Intersects(a.geom, NEW.geom) OR (TG_OP = 'UPDATE' AND v.grid_id = OLD.id))
     AND v.grid_id IS DISTINCT FROM a.grid_id;
  RETURN NULL;
END $$;
CREATE TRIGGER grid_reassign AFTER INSERT OR UPDATE OF geom ON grid
  FOR EACH ROW EXECUTE FUNCTION grid_reassign_points();
