-- 信息采集核查: police and command check records the grid staff collected (an address's registration,
-- a resident's person information) and record whether they were correct. 基础信息采集准确率 of a grid
-- leader is correct / checked for the records of their grids (evaluation_measures).
-- Append-only: a verification once recorded stands; a re-check is a new row.

CREATE TABLE info_verification (
  id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  record_kind text NOT NULL CHECK (record_kind IN ('address', 'resident')),
  record_id   integer NOT NULL,
  -- the address the record belongs to, and its grid when verified (filled by the trigger below):
  -- a later redraw of the grids does not move whose accuracy a past check counted for
  address_id  integer NOT NULL REFERENCES address(id),
  grid_id     integer REFERENCES grid(id),
  verified_by integer NOT NULL REFERENCES staff(id),
  verified_at timestamptz NOT NULL DEFAULT now(),
  result      text NOT NULL CHECK (result IN ('correct', 'incorrect')),
  note        text CHECK (note IS NULL OR btrim(note) <> ''),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX info_verification_grid_at ON info_verification (grid_id, verified_at);
CREATE INDEX info_verification_record ON info_verification (record_kind, record_id);

CREATE FUNCTION info_verification_fill() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.record_kind = 'address' THEN
    NEW.address_id := (SELECT a.id FROM address a WHERE a.id = NEW.record_id);
  ELSE
    NEW.address_id := (SELECT r.address_id FROM resident r WHERE r.id = NEW.record_id);
  END IF;
  IF NEW.address_id IS NULL THEN
    RAISE EXCEPTION '% % does not exist', NEW.record_kind, NEW.record_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  NEW.grid_id := (SELECT a.grid_id FROM address a WHERE a.id = NEW.address_id);
  RETURN NEW;
END $$;
CREATE TRIGGER info_verification_fill BEFORE INSERT ON info_verification
  FOR EACH ROW EXECUTE FUNCTION info_verification_fill();
CREATE TRIGGER info_verification_append_only BEFORE UPDATE OR DELETE ON info_verification
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER info_verification_no_truncate BEFORE TRUNCATE ON info_verification
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Why p_staff may not verify a record of grid p_grid today (NULL when they may): verifiers are
-- command, station chiefs and (auxiliary) police; nobody checks the collection of a grid they work
-- in as grid staff (grid leader, grid worker, volunteer), whatever other role they also hold.
CREATE FUNCTION info_verification_refusal(p_staff integer, p_grid integer)
RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT CASE
    WHEN NOT EXISTS (SELECT 1 FROM assignment_grids(jw_today()) ag
                     WHERE ag.staff_id = p_staff AND ag.role IN ('command', 'station_chief', 'police', 'aux_police')) THEN 'not_verifier'
    WHEN EXISTS (SELECT 1 FROM assignment_grids(jw_today()) ag
                 WHERE ag.staff_id = p_staff AND ag.grid_id = p_grid AND ag.role IN ('grid_leader', 'grid_worker', 'part_time')) THEN 'own_grid'
  END
$$;

GRANT SELECT, INSERT ON info_verification TO jw_staff;
GRANT EXECUTE ON FUNCTION info_verification_refusal(integer, integer) TO jw_staff;
-- Seen like every grid table (by grid); written only by the verifier in person, when allowed.
SELECT jw_protect_grid_table('info_verification');
CREATE POLICY jw_verification_write ON info_verification AS RESTRICTIVE FOR INSERT TO jw_staff
  WITH CHECK (verified_by = (SELECT jw_staff_id()) AND info_verification_refusal(verified_by, grid_id) IS NULL);
