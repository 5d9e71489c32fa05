-- 00012 precise patrol plans (精准巡防, issue #8): what a generated plan was made from, its
-- life cycle (draft → approved → published → archived), which devices carry each team (compliance
-- is judged from their GPS), and a log of every change.

ALTER TABLE patrol_plan
  ADD COLUMN grid_ids      integer[],
  ADD COLUMN start_point   geometry(Point, 4326),
  ADD COLUMN speed_kmh     real NOT NULL DEFAULT 4.5 CHECK (speed_kmh > 0 AND speed_kmh <= 120),
  -- 'straight_line': legs are straight-line distance × detour factor (no street graph in the data)
  ADD COLUMN distance_model text NOT NULL DEFAULT 'straight_line' CHECK (distance_model IN ('straight_line', 'street')),
  ADD COLUMN detour_factor real NOT NULL DEFAULT 1.3 CHECK (detour_factor >= 1 AND detour_factor <= 3),
  -- the inputs of generation (window, hours, types, scoring constants), kept so a plan can be explained later
  ADD COLUMN params        jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN approved_by   integer REFERENCES staff(id),
  ADD COLUMN approved_at   timestamptz,
  ADD COLUMN published_by  integer REFERENCES staff(id),
  ADD COLUMN published_at  timestamptz,
  ADD COLUMN updated_at    timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT patrol_plan_published CHECK (state NOT IN ('published', 'archived') OR published_at IS NOT NULL),
  ADD CONSTRAINT patrol_plan_approved CHECK (state = 'draft' OR approved_at IS NOT NULL);
CREATE INDEX patrol_plan_community_shift ON patrol_plan (community_id, shift_start);

ALTER TABLE patrol_plan_stop
  ADD COLUMN score real,
  ADD COLUMN mandatory boolean NOT NULL DEFAULT false;

CREATE TABLE patrol_plan_device (
  plan_id   integer NOT NULL REFERENCES patrol_plan(id),
  team      integer NOT NULL CHECK (team >= 1),
  device_id integer NOT NULL REFERENCES patrol_device(id),
  PRIMARY KEY (plan_id, team, device_id)
);

CREATE TABLE patrol_plan_log (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  plan_id  integer NOT NULL REFERENCES patrol_plan(id),
  at       timestamptz NOT NULL DEFAULT now(),
  actor    integer REFERENCES staff(id),
  action   text NOT NULL CHECK (action IN ('generate', 'edit', 'devices', 'approve', 'publish', 'archive', 'reopen')),
  from_state text,
  to_state text NOT NULL,
  note     text
);
CREATE INDEX patrol_plan_log_plan ON patrol_plan_log (plan_id, id);
CREATE TRIGGER patrol_plan_log_append_only BEFORE UPDATE OR DELETE ON patrol_plan_log
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Legal moves of the life cycle; the API says which one it attempts, the database refuses others.
CREATE FUNCTION patrol_plan_check_state() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF OLD.state IS DISTINCT FROM NEW.state AND NOT (
       (OLD.state = 'draft' AND NEW.state = 'approved')
    OR (OLD.state = 'approved' AND NEW.state IN ('published', 'draft'))
    OR (OLD.state = 'published' AND NEW.state = 'archived')) THEN
    RAISE EXCEPTION 'patrol plan % cannot go from % to %', OLD.id, OLD.state, NEW.state USING ERRCODE = 'check_violation';
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER patrol_plan_check_state BEFORE UPDATE ON patrol_plan
  FOR EACH ROW EXECUTE FUNCTION patrol_plan_check_state();

-- Stops and devices change only while the plan is a draft: what was approved is what is published.
CREATE FUNCTION patrol_plan_stops_frozen() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE s text;
BEGIN
  SELECT state INTO s FROM patrol_plan WHERE id = coalesce(NEW.plan_id, OLD.plan_id);
  IF s IS DISTINCT FROM 'draft' THEN
    RAISE EXCEPTION 'patrol plan % is %: only a draft can be edited', coalesce(NEW.plan_id, OLD.plan_id), s USING ERRCODE = 'check_violation';
  END IF;
  RETURN coalesce(NEW, OLD);
END $$;
CREATE TRIGGER patrol_plan_stop_frozen BEFORE INSERT OR UPDATE OR DELETE ON patrol_plan_stop
  FOR EACH ROW EXECUTE FUNCTION patrol_plan_stops_frozen();
CREATE TRIGGER patrol_plan_device_frozen BEFORE INSERT OR UPDATE OR DELETE ON patrol_plan_device
  FOR EACH ROW EXECUTE FUNCTION patrol_plan_stops_frozen();

GRANT SELECT, INSERT, DELETE ON patrol_plan_device TO jw_staff;
GRANT SELECT, INSERT ON patrol_plan_log TO jw_staff;
GRANT DELETE ON patrol_plan_stop TO jw_staff;
ALTER TABLE patrol_plan_device ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_parent_scope ON patrol_plan_device TO jw_staff USING (EXISTS (SELECT 1 FROM patrol_plan p WHERE p.id = plan_id));
ALTER TABLE patrol_plan_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_parent_scope ON patrol_plan_log TO jw_staff USING (EXISTS (SELECT 1 FROM patrol_plan p WHERE p.id = plan_id));
