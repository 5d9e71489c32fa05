-- 走访 (visits) and 动态事件 (events) with their append-only log.

CREATE TABLE visit (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- client-supplied id so a retried upload never writes a visit twice
  client_id    text NOT NULL UNIQUE CHECK (client_id <> ''),
  address_id   integer NOT NULL REFERENCES address(id),
  person_id    integer REFERENCES person_of_concern(id),
  grid_id      integer REFERENCES grid(id),
  visited_at   timestamptz NOT NULL,
  geom         geometry(Point, 4326) CHECK (geom IS NULL OR NOT ST_IsEmpty(geom)),
  notes        text,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX visit_address_time ON visit (address_id, visited_at DESC);
CREATE INDEX visit_person_time ON visit (person_id, visited_at DESC) WHERE person_id IS NOT NULL;
CREATE INDEX visit_grid_time ON visit (grid_id, visited_at);

-- Each participant keeps their own fix: co-presence of police and grid worker is judged from these.
CREATE TABLE visit_participant (
  visit_id  integer NOT NULL REFERENCES visit(id),
  staff_id  integer NOT NULL REFERENCES staff(id),
  geom      geometry(Point, 4326) CHECK (geom IS NULL OR NOT ST_IsEmpty(geom)),
  fixed_at  timestamptz,
  PRIMARY KEY (visit_id, staff_id)
);
CREATE INDEX visit_participant_staff ON visit_participant (staff_id);

-- A visit belongs to the grid of the address visited, wherever the fix was taken.
CREATE FUNCTION visit_assign_grid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT a.grid_id INTO NEW.grid_id FROM address a WHERE a.id = NEW.address_id;
  RETURN NEW;
END $$;
CREATE TRIGGER visit_grid BEFORE INSERT OR UPDATE OF address_id ON visit
  FOR EACH ROW EXECUTE FUNCTION visit_assign_grid();

CREATE TABLE event (
  id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code          text NOT NULL UNIQUE CHECK (code <> ''),
  type          text NOT NULL CHECK (type IN ('public_security', 'dispute', 'hazard', 'service_request', 'support_request')),
  subtype       text,
  severity      smallint NOT NULL CHECK (severity BETWEEN 1 AND 4),
  -- disputes only: general ones are mediated by the grid leader, complex ones go to 1+1+N
  complexity    text CHECK (complexity IN ('general', 'complex')),
  state         text NOT NULL DEFAULT 'reported' CHECK (state IN ('reported', 'accepted', 'assigned',
                  'in_progress', 'resolved', 'closed', 'escalated', 'returned', 'cancelled')),
  title         text NOT NULL CHECK (title <> ''),
  description   text,
  geom          geometry(Point, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom)),
  address_id    integer REFERENCES address(id),
  grid_id       integer REFERENCES grid(id),
  source        text NOT NULL DEFAULT 'console' CHECK (source IN ('console', 'api', 'grid_app', 'hotline', 'patrol', 'import')),
  reported_by   integer REFERENCES staff(id),
  reporter_name text,
  reported_at   timestamptz NOT NULL,
  due_at        timestamptz,
  closed_at     timestamptz,
  escalation_level smallint NOT NULL DEFAULT 0 CHECK (escalation_level BETWEEN 0 AND 3),
  -- optimistic concurrency: a transition names the version it saw
  version       integer NOT NULL DEFAULT 1,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (CASE type
           WHEN 'dispute' THEN subtype IN ('marriage', 'economic', 'land', 'neighbour', 'labour', 'other')
           WHEN 'hazard'  THEN subtype IN ('fire', 'traffic', 'building', 'gathering', 'security_lead', 'other')
           WHEN 'public_security' THEN subtype IS NULL OR subtype IN ('theft', 'fraud', 'fight', 'disorder', 'other')
           ELSE subtype IS NULL OR subtype = 'other'
         END),
  CHECK ((type = 'dispute') = (complexity IS NOT NULL)),
  CHECK ((state = 'closed') = (closed_at IS NOT NULL)),
  CHECK (closed_at IS NULL OR closed_at >= reported_at),
  CHECK (due_at IS NULL OR due_at >= reported_at)
);
CREATE INDEX event_geom_gist ON event USING gist (geom);
CREATE INDEX event_grid_time ON event (grid_id, reported_at);
CREATE INDEX event_time ON event (reported_at);
CREATE INDEX event_open_due ON event (due_at) WHERE state NOT IN ('closed', 'cancelled');

-- Every event gets its grid from where it happened.
CREATE FUNCTION event_assign_grid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NOT ST_Equals(NEW.geom, OLD.geom) THEN
    NEW.grid_id := grid_of(NEW.geom);
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER event_grid BEFORE INSERT OR UPDATE ON event
  FOR EACH ROW EXECUTE FUNCTION event_assign_grid();

CREATE TABLE event_log (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id   integer NOT NULL REFERENCES event(id),
  from_state text,
  to_state   text NOT NULL,
  action     text NOT NULL CHECK (action <> ''),
  actor_id   integer REFERENCES staff(id),
  actor_name text NOT NULL CHECK (actor_name <> ''),
  at         timestamptz NOT NULL DEFAULT now(),
  note       text,
  details    jsonb
);
CREATE INDEX event_log_event ON event_log (event_id, at);

-- Append-only tables: the database itself refuses to rewrite history, whatever the caller.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER event_log_append_only BEFORE UPDATE OR DELETE ON event_log
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER event_log_no_truncate BEFORE TRUNCATE ON event_log
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
-- Events are closed or cancelled, never deleted.
CREATE TRIGGER event_no_delete BEFORE DELETE ON event
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- 支援请求: a grid leader asks the police for help; times are measured against config support.*.
CREATE TABLE support_request (
  id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id        integer REFERENCES event(id),
  grid_id         integer REFERENCES grid(id),
  requested_by    integer NOT NULL REFERENCES staff(id),
  police_id       integer REFERENCES staff(id),
  geom            geometry(Point, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom)),
  reason          text NOT NULL CHECK (reason <> ''),
  requested_at    timestamptz NOT NULL,
  acknowledged_at timestamptz CHECK (acknowledged_at IS NULL OR acknowledged_at >= requested_at),
  arrived_at      timestamptz CHECK (arrived_at IS NULL OR arrived_at >= requested_at),
  arrival_source  text CHECK (arrival_source IN ('gps', 'manual')),
  state           text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'arrived', 'done', 'cancelled')),
  CHECK ((arrived_at IS NULL) = (arrival_source IS NULL))
);
CREATE INDEX support_request_grid_time ON support_request (grid_id, requested_at);

CREATE FUNCTION support_assign_grid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.grid_id IS NULL THEN NEW.grid_id := grid_of(NEW.geom); END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER support_request_grid BEFORE INSERT ON support_request
  FOR EACH ROW EXECUTE FUNCTION support_assign_grid();
