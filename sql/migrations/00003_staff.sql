-- People who work the grid and their dated assignments ("一村（格）一警"). A person can hold several
-- assignments; history is kept by ending an assignment, never by deleting it.

CREATE TABLE staff (
  id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code       text NOT NULL UNIQUE CHECK (code <> ''),
  name       text NOT NULL CHECK (name <> ''),
  gender     text CHECK (gender IN ('M', 'F')),
  phone      text CHECK (phone ~ '^[0-9+\-]{5,20}$'),
  org        text NOT NULL CHECK (org IN ('police_station', 'subdistrict', 'community', 'volunteer')),
  -- what the person is; the assignment says what they do where
  kind       text NOT NULL CHECK (kind IN ('police', 'aux_police', 'cadre', 'grid_worker', 'volunteer', 'analyst')),
  active     boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE assignment (
  id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  staff_id       integer NOT NULL REFERENCES staff(id),
  role           text NOT NULL CHECK (role IN ('command', 'station_chief', 'police', 'aux_police',
                   'grid_leader', 'grid_worker', 'part_time', 'analyst')),
  subdistrict_id integer REFERENCES subdistrict(id),
  community_id   integer REFERENCES community(id),
  grid_id        integer REFERENCES grid(id),
  joint_point_id integer REFERENCES joint_defense_point(id),
  starts_on      date NOT NULL,
  ends_on        date,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_on IS NULL OR ends_on >= starts_on),
  -- exactly one scope, and the scope must fit the role
  CHECK (num_nonnulls(subdistrict_id, community_id, grid_id, joint_point_id) = 1),
  CHECK (CASE role
           WHEN 'command'       THEN subdistrict_id IS NOT NULL
           WHEN 'analyst'       THEN subdistrict_id IS NOT NULL
           WHEN 'station_chief' THEN community_id IS NOT NULL
           WHEN 'police'        THEN community_id IS NOT NULL OR grid_id IS NOT NULL
           WHEN 'aux_police'    THEN community_id IS NOT NULL OR grid_id IS NOT NULL
           WHEN 'grid_leader'   THEN grid_id IS NOT NULL
           WHEN 'grid_worker'   THEN grid_id IS NOT NULL
           WHEN 'part_time'     THEN joint_point_id IS NOT NULL OR grid_id IS NOT NULL
         END)
);
CREATE INDEX assignment_staff ON assignment (staff_id);
CREATE INDEX assignment_grid ON assignment (grid_id) WHERE grid_id IS NOT NULL;
CREATE INDEX assignment_community ON assignment (community_id) WHERE community_id IS NOT NULL;

-- The grids an assignment covers on a given day: a community-scoped police officer covers every
-- grid of the community. Used by visit standardisation and (later) access scoping.
CREATE FUNCTION assignment_grids(on_day date)
RETURNS TABLE (assignment_id integer, staff_id integer, role text, grid_id integer)
LANGUAGE sql STABLE AS $$
  SELECT a.id, a.staff_id, a.role, g.id
  FROM assignment a
  JOIN grid g ON g.id = a.grid_id
             OR g.community_id = a.community_id
             OR g.id = (SELECT j.grid_id FROM joint_defense_point j WHERE j.id = a.joint_point_id)
             OR g.community_id IN (SELECT c.id FROM community c WHERE c.subdistrict_id = a.subdistrict_id)
  WHERE a.starts_on <= on_day AND (a.ends_on IS NULL OR a.ends_on >= on_day)
$$;
