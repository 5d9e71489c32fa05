-- The event closed loop (闭环): legal transitions, dispute mediation (general and "1+1+N"), hazard
-- dispatch, deadlines with escalation, and the durable feed behind the three-level groups.

-- Legal transitions, enforced for every writer: the API, imports and psql alike.
CREATE TABLE event_transition_rule (
  action     text NOT NULL,
  from_state text NOT NULL,
  to_state   text NOT NULL,
  PRIMARY KEY (action, from_state)
);
INSERT INTO event_transition_rule (action, from_state, to_state) VALUES
  ('accept',   'reported',    'accepted'),
  ('accept',   'returned',    'accepted'),
  ('assign',   'accepted',    'assigned'),
  ('assign',   'escalated',   'assigned'),
  ('start',    'assigned',    'in_progress'),
  ('resolve',  'in_progress', 'resolved'),
  ('close',    'resolved',    'closed'),
  ('reopen',   'resolved',    'in_progress'),
  ('return',   'reported',    'returned'),
  ('return',   'accepted',    'returned'),
  ('return',   'assigned',    'returned'),
  ('escalate', 'reported',    'escalated'),
  ('escalate', 'accepted',    'escalated'),
  ('escalate', 'assigned',    'escalated'),
  ('escalate', 'in_progress', 'escalated'),
  ('escalate', 'escalated',   'escalated'),
  ('cancel',   'reported',    'cancelled'),
  ('cancel',   'accepted',    'cancelled'),
  ('cancel',   'returned',    'cancelled');

CREATE FUNCTION event_check_transition() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.state IS DISTINCT FROM OLD.state AND NOT EXISTS (
       SELECT 1 FROM event_transition_rule r WHERE r.from_state = OLD.state AND r.to_state = NEW.state) THEN
    RAISE EXCEPTION 'illegal event transition % -> %', OLD.state, NEW.state USING ERRCODE = 'check_violation',
      CONSTRAINT = 'event_transition_rule';
  END IF;
  -- A finished event is frozen, except for the grid derived from its location, which follows
  -- when grids are redrawn.
  IF OLD.state IN ('closed', 'cancelled')
     AND (to_jsonb(NEW) - 'grid_id' - 'updated_at') IS DISTINCT FROM (to_jsonb(OLD) - 'grid_id' - 'updated_at') THEN
    RAISE EXCEPTION 'event % is %: it can no longer change', OLD.code, OLD.state USING ERRCODE = 'check_violation',
      CONSTRAINT = 'event_final_state';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER event_transition BEFORE UPDATE ON event FOR EACH ROW EXECUTE FUNCTION event_check_transition();

-- Who handles the event now (assigned police officer or grid leader, or a department for hazards).
ALTER TABLE event ADD COLUMN assignee_id integer REFERENCES staff(id);
ALTER TABLE event ADD COLUMN department text;
ALTER TABLE event ADD COLUMN client_id text UNIQUE;
ALTER TABLE event ADD COLUMN last_escalated_at timestamptz;

CREATE TABLE mediation (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id     integer NOT NULL UNIQUE REFERENCES event(id),
  kind         text NOT NULL CHECK (kind IN ('grid_leader', 'joint_1_1_n')),
  started_at   timestamptz NOT NULL,
  outcome      text CHECK (outcome IN ('success', 'failed')),
  escalated_to text CHECK (escalated_to IN ('judicial', 'police')),
  ended_at     timestamptz,
  CHECK ((outcome IS NULL) = (ended_at IS NULL)),
  CHECK (escalated_to IS NULL OR outcome = 'failed')
);

-- "1+1+N": the police officer, the grid leader, and N others (judicial office, lawyer, cadre, family).
CREATE TABLE mediation_participant (
  mediation_id integer NOT NULL REFERENCES mediation(id),
  seq          integer NOT NULL,
  role         text NOT NULL CHECK (role IN ('police', 'grid_leader', 'judicial', 'lawyer', 'cadre', 'family', 'other')),
  staff_id     integer REFERENCES staff(id),
  name         text NOT NULL CHECK (name <> ''),
  PRIMARY KEY (mediation_id, seq)
);

CREATE TABLE mediation_session (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  mediation_id integer NOT NULL REFERENCES mediation(id),
  held_at      timestamptz NOT NULL,
  notes        text NOT NULL CHECK (notes <> '')
);

CREATE TABLE hazard_dispatch (
  id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id      integer NOT NULL REFERENCES event(id),
  classification text NOT NULL CHECK (classification <> ''),
  department    text NOT NULL CHECK (department <> ''),
  warning       text NOT NULL CHECK (warning <> ''),
  dispatched_at timestamptz NOT NULL,
  removed_at    timestamptz,
  CHECK (removed_at IS NULL OR removed_at >= dispatched_at)
);
CREATE TABLE hazard_followup (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  dispatch_id integer NOT NULL REFERENCES hazard_dispatch(id),
  at          timestamptz NOT NULL,
  note        text NOT NULL CHECK (note <> '')
);

-- Every message the three-level groups receive, in order. SSE clients resume from their last id,
-- so nothing is lost or repeated across reconnects and server restarts.
CREATE TABLE feed_message (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  kind      text NOT NULL CHECK (kind IN ('event.created', 'event.transition', 'event.overdue', 'support.requested', 'support.updated')),
  event_id  integer REFERENCES event(id),
  grid_id   integer,
  -- 'grid' = the grid's rapid-response group, 'community' = the workstation group, 'command'
  groups    text[] NOT NULL CHECK (cardinality(groups) > 0 AND groups <@ ARRAY['grid', 'community', 'command']),
  payload   jsonb NOT NULL
);
CREATE INDEX feed_message_event ON feed_message (event_id);

GRANT SELECT ON event_transition_rule TO jw_staff, jw_analyst;
GRANT SELECT, INSERT, UPDATE ON mediation, mediation_participant, mediation_session, hazard_dispatch, hazard_followup TO jw_staff;
GRANT SELECT ON feed_message TO jw_staff;
GRANT INSERT ON feed_message TO jw_staff;

ALTER TABLE mediation ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_parent_scope ON mediation TO jw_staff USING (EXISTS (SELECT 1 FROM event e WHERE e.id = event_id));
ALTER TABLE mediation_participant ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_parent_scope ON mediation_participant TO jw_staff USING (EXISTS (SELECT 1 FROM mediation m WHERE m.id = mediation_id));
ALTER TABLE mediation_session ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_parent_scope ON mediation_session TO jw_staff USING (EXISTS (SELECT 1 FROM mediation m WHERE m.id = mediation_id));
ALTER TABLE hazard_dispatch ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_parent_scope ON hazard_dispatch TO jw_staff USING (EXISTS (SELECT 1 FROM event e WHERE e.id = event_id));
ALTER TABLE hazard_followup ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_parent_scope ON hazard_followup TO jw_staff USING (EXISTS (SELECT 1 FROM hazard_dispatch d WHERE d.id = dispatch_id));
-- Feed messages of the user's grids; messages outside every grid go to whole-sub-district roles.
ALTER TABLE feed_message ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_grid_scope ON feed_message TO jw_staff, jw_analyst
  USING (grid_id = ANY ((SELECT jw_grid_ids())::integer[]) OR (grid_id IS NULL AND (SELECT jw_sees_all())));
