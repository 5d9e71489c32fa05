-- Access and privacy. Jurisdiction is enforced by the database, not only by the API: each request
-- of a logged-in user runs in a transaction that sets jw.user_id and switches to a NOLOGIN role
-- (jw_staff, or jw_analyst for analysts and display screens). Row-level security then limits every
-- table to the grids the user's assignments cover today, and the analyst role has no privilege on
-- personal columns at all. Persons of concern are reachable only through functions that mask
-- identities and write the audit log.

CREATE TABLE app_user (
  id                  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username            text NOT NULL UNIQUE CHECK (username ~ '^[a-z][a-z0-9_.-]{2,31}$'),
  display_name        text NOT NULL CHECK (display_name <> ''),
  -- display: a wall screen account, sees the whole sub-district as aggregates only
  kind                text NOT NULL DEFAULT 'staff' CHECK (kind IN ('staff', 'display')),
  staff_id            integer REFERENCES staff(id),
  password_hash       text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
  must_change_password boolean NOT NULL DEFAULT true,
  disabled            boolean NOT NULL DEFAULT false,
  password_changed_at timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'staff') = (staff_id IS NOT NULL))
);

CREATE TABLE app_session (
  -- sha256 of the cookie value: a leaked table does not give working sessions
  token_hash   text PRIMARY KEY,
  user_id      integer NOT NULL REFERENCES app_user(id),
  csrf_token   text NOT NULL,
  created_at   timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  client_ip    text,
  user_agent   text
);
CREATE INDEX app_session_user ON app_session (user_id);

CREATE TABLE api_token (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         text NOT NULL CHECK (name <> ''),
  token_hash   text NOT NULL UNIQUE,
  scopes       text[] NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['gps:ingest', 'sync:read']),
  created_by   integer REFERENCES app_user(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);

CREATE TABLE login_attempt (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username  text NOT NULL,
  client_ip text NOT NULL,
  at        timestamptz NOT NULL,
  success   boolean NOT NULL
);
CREATE INDEX login_attempt_username_at ON login_attempt (username, at);
CREATE INDEX login_attempt_ip_at ON login_attempt (client_ip, at);

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'jw_staff') THEN CREATE ROLE jw_staff NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'jw_analyst') THEN CREATE ROLE jw_analyst NOLOGIN; END IF;
END $$;
-- The connecting user must be allowed to SET ROLE to them (a superuser already is).
GRANT jw_staff, jw_analyst TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO jw_staff, jw_analyst;

-- ---------------------------------------------------------------------------------------------
-- Request context
CREATE FUNCTION jw_user_id() RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('jw.user_id', true), '')::integer
$$;

CREATE FUNCTION jw_today() RETURNS date LANGUAGE sql STABLE AS $$
  SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date
$$;

-- Roles come from the assignments in force today, so a reassignment changes access at once.
CREATE FUNCTION jw_user_roles() RETURNS text[] LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
  SELECT CASE WHEN u.kind = 'display' THEN ARRAY['display']
              ELSE coalesce((SELECT array_agg(DISTINCT a.role ORDER BY a.role) FROM assignment a
                             WHERE a.staff_id = u.staff_id AND a.starts_on <= jw_today()
                               AND (a.ends_on IS NULL OR a.ends_on >= jw_today())), '{}')
         END
  FROM app_user u WHERE u.id = jw_user_id() AND NOT u.disabled
$$;

CREATE FUNCTION jw_grid_ids() RETURNS integer[] LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
  SELECT CASE WHEN u.kind = 'display' THEN (SELECT coalesce(array_agg(g.id), '{}') FROM grid g)
              ELSE coalesce((SELECT array_agg(DISTINCT ag.grid_id) FROM assignment_grids(jw_today()) ag
                             WHERE ag.staff_id = u.staff_id), '{}')
         END
  FROM app_user u WHERE u.id = jw_user_id() AND NOT u.disabled
$$;

CREATE FUNCTION jw_community_ids() RETURNS integer[] LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
  SELECT coalesce(array_agg(DISTINCT g.community_id), '{}') FROM grid g WHERE g.id = ANY (jw_grid_ids())
$$;

-- Rows outside every grid (grid_id NULL) belong to whoever sees the whole sub-district.
CREATE FUNCTION jw_sees_all() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(jw_user_roles() && ARRAY['command', 'analyst', 'display'], false)
$$;

-- Points take their grid from the true map even when the caller cannot see that grid; row-level
-- security then refuses the write instead of storing a point with no grid.
ALTER FUNCTION grid_of(geometry) SECURITY DEFINER SET search_path = public, pg_temp;

-- Triggers keep derived tables (areas, grid assignment, aggregates, H3 cells) consistent whoever
-- writes the row, so they run with the owner's rights; the policies still judge the row the user
-- writes. Later migrations that add triggers must declare them SECURITY DEFINER too.
DO $$
DECLARE f regprocedure;
BEGIN
  FOR f IN
    SELECT DISTINCT t.tgfoid::regprocedure FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND NOT t.tgisinternal
  LOOP
    EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = public, pg_temp', f);
  END LOOP;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Privileges. Analysts get no personal table and no personal column.
GRANT SELECT ON config, subdistrict, community, grid, joint_defense_point, key_location, patrol_device,
  assignment TO jw_staff, jw_analyst;
GRANT SELECT ON staff, address, housing, resident, org_unit, visit, visit_participant, event, event_log,
  support_request, gps_fix, patrol_plan, patrol_plan_stop, audit_log TO jw_staff;
GRANT SELECT (id, code, type, subtype, severity, complexity, state, geom, grid_id, source, reported_at, due_at,
  closed_at, escalation_level, created_at, updated_at) ON event TO jw_analyst;
GRANT SELECT (id, code, grid_id, category, vacant, geom) ON address TO jw_analyst;
GRANT SELECT (id, grid_id, visited_at, address_id) ON visit TO jw_analyst;
GRANT SELECT (device_id, fixed_at, lon, lat, grid_id, h3_cell) ON gps_fix TO jw_analyst;
GRANT INSERT, UPDATE ON grid, joint_defense_point, key_location, event, visit, visit_participant,
  support_request, patrol_plan, patrol_plan_stop, address, housing, resident, org_unit TO jw_staff;
GRANT INSERT ON event_log TO jw_staff;

-- ---------------------------------------------------------------------------------------------
-- Row-level security. Policies apply to the two scoped roles only; the owner (migrations, imports,
-- the seed, background jobs) is not a scoped user.
CREATE FUNCTION jw_protect_grid_table(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
  EXECUTE format($p$CREATE POLICY jw_grid_scope ON %s TO jw_staff, jw_analyst
    USING (grid_id = ANY ((SELECT jw_grid_ids())::integer[]) OR (grid_id IS NULL AND (SELECT jw_sees_all())))$p$, t);
END $$;

SELECT jw_protect_grid_table(t) FROM unnest(ARRAY['address', 'event', 'visit', 'joint_defense_point',
  'key_location', 'support_request', 'gps_fix']::regclass[]) AS t;

-- Analytics tables added before this migration that carry a grid: same rule, same grants.
DO $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT c.oid::regclass AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT c.relrowsecurity
      AND c.relname NOT IN ('grid', 'assignment', 'schema_migrations', 'app_user', 'app_session', 'api_token', 'login_attempt')
      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'grid_id' AND NOT a.attisdropped)
  LOOP
    EXECUTE format('GRANT SELECT ON %s TO jw_staff, jw_analyst', r.t);
    PERFORM jw_protect_grid_table(r.t);
  END LOOP;
END $$;

ALTER TABLE grid ENABLE ROW LEVEL SECURITY;
-- Whole-sub-district roles see every grid, including one they insert (INSERT … RETURNING needs it).
CREATE POLICY jw_grid_scope ON grid FOR SELECT TO jw_staff, jw_analyst
  USING ((SELECT jw_sees_all()) OR id = ANY ((SELECT jw_grid_ids())::integer[]));
-- A new grid has no id in anyone's jurisdiction yet: drawing one is judged by its community.
CREATE POLICY jw_grid_insert ON grid FOR INSERT TO jw_staff
  WITH CHECK (community_id = ANY ((SELECT jw_community_ids())::integer[]));
CREATE POLICY jw_grid_update ON grid FOR UPDATE TO jw_staff
  USING (id = ANY ((SELECT jw_grid_ids())::integer[]))
  WITH CHECK (community_id = ANY ((SELECT jw_community_ids())::integer[]));
ALTER TABLE community ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_community_scope ON community TO jw_staff, jw_analyst USING (id = ANY ((SELECT jw_community_ids())::integer[]));
ALTER TABLE subdistrict ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_subdistrict_scope ON subdistrict TO jw_staff, jw_analyst
  USING (id IN (SELECT c.subdistrict_id FROM community c WHERE c.id = ANY ((SELECT jw_community_ids())::integer[])));

-- Records hanging off an address or an event follow their parent's visibility.
ALTER TABLE housing ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_parent_scope ON housing TO jw_staff USING (EXISTS (SELECT 1 FROM address a WHERE a.id = address_id));
ALTER TABLE resident ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_parent_scope ON resident TO jw_staff USING (EXISTS (SELECT 1 FROM address a WHERE a.id = address_id));
ALTER TABLE org_unit ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_parent_scope ON org_unit TO jw_staff USING (EXISTS (SELECT 1 FROM address a WHERE a.id = address_id));
ALTER TABLE visit_participant ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_parent_scope ON visit_participant TO jw_staff USING (EXISTS (SELECT 1 FROM visit v WHERE v.id = visit_id));
-- H3 cells of events (heat and hotspots) are visible exactly where their event is.
GRANT SELECT ON event_cell TO jw_staff, jw_analyst;
ALTER TABLE event_cell ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_parent_scope ON event_cell TO jw_staff, jw_analyst USING (EXISTS (SELECT 1 FROM event e WHERE e.id = event_id));
ALTER TABLE event_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_parent_scope ON event_log TO jw_staff USING (EXISTS (SELECT 1 FROM event e WHERE e.id = event_id));
ALTER TABLE patrol_plan ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_community_scope ON patrol_plan TO jw_staff
  USING (community_id = ANY ((SELECT jw_community_ids())::integer[]) OR (community_id IS NULL AND (SELECT jw_sees_all())));
ALTER TABLE patrol_plan_stop ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_parent_scope ON patrol_plan_stop TO jw_staff USING (EXISTS (SELECT 1 FROM patrol_plan p WHERE p.id = plan_id));

-- Colleagues: people assigned somewhere the user can see, and the user themself.
ALTER TABLE staff ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION jw_staff_id() RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
  SELECT u.staff_id FROM app_user u WHERE u.id = jw_user_id()
$$;
CREATE POLICY jw_staff_scope ON staff TO jw_staff USING (
  id = (SELECT jw_staff_id())
  OR EXISTS (SELECT 1 FROM assignment_grids(jw_today()) ag WHERE ag.staff_id = staff.id AND ag.grid_id = ANY ((SELECT jw_grid_ids())::integer[]))
);

-- The audit log is read by command only; nobody scoped can write or change it directly.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_command_only ON audit_log FOR SELECT TO jw_staff USING ((SELECT 'command' = ANY (jw_user_roles())));

-- Persons of concern: no direct privilege for anyone scoped.
ALTER TABLE person_of_concern ENABLE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------------------------------------
-- Masking and audited access to persons of concern.
CREATE FUNCTION jw_mask_id_number(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v IS NULL THEN NULL ELSE left(v, 4) || repeat('*', greatest(length(v) - 8, 0)) || right(v, 4) END
$$;
CREATE FUNCTION jw_mask_phone(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v IS NULL THEN NULL WHEN length(v) <= 7 THEN repeat('*', length(v))
              ELSE left(v, 3) || repeat('*', length(v) - 7) || right(v, 4) END
$$;

CREATE FUNCTION jw_audit(p_action text, p_target_type text, p_target_id text, p_reason text, p_details jsonb)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO audit_log (actor, action, target_type, target_id, reason, client_ip, details)
  SELECT coalesce((SELECT u.username FROM app_user u WHERE u.id = jw_user_id()), current_user),
         p_action, p_target_type, p_target_id, p_reason, nullif(current_setting('jw.client_ip', true), ''), p_details
$$;

-- Identities are for people who work the case: not analysts, not display screens.
CREATE FUNCTION jw_require_person_access() RETURNS void LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
BEGIN
  IF jw_user_id() IS NULL OR NOT coalesce(jw_user_roles() && ARRAY['command', 'station_chief', 'police', 'aux_police', 'grid_leader', 'grid_worker'], false) THEN
    RAISE EXCEPTION 'this role may not see persons of concern' USING ERRCODE = 'insufficient_privilege';
  END IF;
END $$;

CREATE TYPE jw_person_row AS (
  id integer, code text, name text, category text, control_level smallint, address_id integer,
  address_text text, grid_id integer, id_number text, phone text, since date, until date
);

CREATE FUNCTION jw_persons(p_grid_id integer, p_limit integer) RETURNS SETOF jw_person_row
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n integer;
BEGIN
  PERFORM jw_require_person_access();
  RETURN QUERY
    SELECT p.id, p.code, p.name, p.category, p.control_level, p.address_id, a.address_text, a.grid_id,
           jw_mask_id_number(p.id_number), jw_mask_phone(p.phone), p.since, p.until
    FROM person_of_concern p JOIN address a ON a.id = p.address_id
    WHERE a.grid_id = ANY (jw_grid_ids()) AND (p_grid_id IS NULL OR a.grid_id = p_grid_id)
    ORDER BY p.id LIMIT p_limit;
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM jw_audit('person.list', 'grid', p_grid_id::text, NULL, jsonb_build_object('rows', n));
END $$;

CREATE FUNCTION jw_person_view(p_id integer) RETURNS SETOF jw_person_row
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n integer;
BEGIN
  PERFORM jw_require_person_access();
  RETURN QUERY
    SELECT p.id, p.code, p.name, p.category, p.control_level, p.address_id, a.address_text, a.grid_id,
           jw_mask_id_number(p.id_number), jw_mask_phone(p.phone), p.since, p.until
    FROM person_of_concern p JOIN address a ON a.id = p.address_id
    WHERE p.id = p_id AND a.grid_id = ANY (jw_grid_ids());
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN PERFORM jw_audit('person.view', 'person', p_id::text, NULL, NULL); END IF;
END $$;

-- Unmasked identity, for the roles that act on it, with a stated reason that is logged first.
CREATE FUNCTION jw_person_reveal(p_id integer, p_reason text) RETURNS SETOF jw_person_row
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n integer;
BEGIN
  IF jw_user_id() IS NULL OR NOT coalesce(jw_user_roles() && ARRAY['command', 'station_chief', 'police', 'aux_police'], false) THEN
    RAISE EXCEPTION 'only police, station chiefs and command may reveal identities' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_reason IS NULL OR length(btrim(p_reason)) < 4 THEN
    RAISE EXCEPTION 'a reason of at least 4 characters is required to reveal an identity' USING ERRCODE = 'check_violation';
  END IF;
  RETURN QUERY
    SELECT p.id, p.code, p.name, p.category, p.control_level, p.address_id, a.address_text, a.grid_id,
           p.id_number, p.phone, p.since, p.until
    FROM person_of_concern p JOIN address a ON a.id = p.address_id
    WHERE p.id = p_id AND a.grid_id = ANY (jw_grid_ids());
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN PERFORM jw_audit('person.reveal', 'person', p_id::text, btrim(p_reason), NULL); END IF;
END $$;

-- Counts per grid and category. Aggregate-only roles get counts below 3 suppressed (NULL), so a
-- count cannot single out a person.
CREATE FUNCTION jw_person_counts() RETURNS TABLE (grid_id integer, category text, persons integer, suppressed boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE aggregate_only boolean := NOT coalesce(jw_user_roles() && ARRAY['command', 'station_chief', 'police', 'aux_police', 'grid_leader', 'grid_worker'], false);
BEGIN
  IF jw_user_id() IS NULL THEN
    RAISE EXCEPTION 'no user in context' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN QUERY
    SELECT a.grid_id, p.category,
           CASE WHEN aggregate_only AND count(*) < 3 THEN NULL ELSE count(*)::int END,
           aggregate_only AND count(*) < 3
    FROM person_of_concern p JOIN address a ON a.id = p.address_id
    WHERE a.grid_id = ANY (jw_grid_ids()) AND (p.until IS NULL OR p.until >= jw_today())
    GROUP BY a.grid_id, p.category ORDER BY a.grid_id, p.category;
END $$;

REVOKE ALL ON FUNCTION jw_persons(integer, integer), jw_person_view(integer), jw_person_reveal(integer, text),
  jw_audit(text, text, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jw_persons(integer, integer), jw_person_view(integer), jw_person_reveal(integer, text)
  TO jw_staff;
GRANT EXECUTE ON FUNCTION jw_person_counts() TO jw_staff, jw_analyst;
