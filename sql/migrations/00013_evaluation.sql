-- Mutual evaluation (双向评价) and training records (培训考核).
-- Ratings are append-only: a rating once given for a month stands (one per rater, ratee and month;
-- a second one is refused as a duplicate), so the monthly score cannot be rewritten afterwards.

CREATE TABLE evaluation_rating (
  id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rater_id   integer NOT NULL REFERENCES staff(id),
  ratee_id   integer NOT NULL REFERENCES staff(id),
  -- the month rated, as its first day
  period     date NOT NULL CHECK (period = date_trunc('month', period)::date),
  score      smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment    text CHECK (comment IS NULL OR btrim(comment) <> ''),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (rater_id <> ratee_id),
  UNIQUE (rater_id, ratee_id, period)
);
CREATE INDEX evaluation_rating_ratee ON evaluation_rating (ratee_id, period);
CREATE TRIGGER evaluation_rating_append_only BEFORE UPDATE OR DELETE ON evaluation_rating
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER evaluation_rating_no_truncate BEFORE TRUNCATE ON evaluation_rating
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Training sessions and competency tests of grid staff: attendance, and a test score when taken.
CREATE TABLE training_record (
  id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  staff_id   integer NOT NULL REFERENCES staff(id),
  session_on date NOT NULL,
  title      text NOT NULL CHECK (btrim(title) <> ''),
  attended   boolean NOT NULL,
  test_score numeric(4, 1) CHECK (test_score BETWEEN 0 AND 100),
  created_by integer REFERENCES staff(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- nobody is tested at a session they missed
  CONSTRAINT training_record_score_needs_attendance CHECK (attended OR test_score IS NULL),
  UNIQUE (staff_id, session_on, title)
);
CREATE INDEX training_record_staff ON training_record (staff_id, session_on);

-- Which side of the evaluation a person is on today, and in which communities:
-- 'grid_leader' (grid leaders) or 'police' (police and auxiliary police).
CREATE FUNCTION evaluation_sides(p_staff integer, p_day date)
RETURNS TABLE (side text, community_id integer) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
  SELECT DISTINCT CASE WHEN ag.role = 'grid_leader' THEN 'grid_leader' ELSE 'police' END, g.community_id
  FROM assignment_grids(p_day) ag JOIN grid g ON g.id = ag.grid_id
  WHERE ag.staff_id = p_staff AND ag.role IN ('grid_leader', 'police', 'aux_police')
$$;

-- Why p_rater may not rate p_ratee today (NULL when they may): a police officer rates a grid leader
-- of a community they share, and a grid leader rates a police officer of a community they share.
CREATE FUNCTION evaluation_rating_refusal(p_rater integer, p_ratee integer)
RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT CASE
    WHEN NOT EXISTS (SELECT 1 FROM evaluation_sides(p_rater, jw_today())) THEN 'rater_not_evaluating'
    WHEN NOT EXISTS (SELECT 1 FROM evaluation_sides(p_ratee, jw_today())) THEN 'ratee_not_evaluated'
    WHEN NOT EXISTS (SELECT 1 FROM evaluation_sides(p_rater, jw_today()) r
                     JOIN evaluation_sides(p_ratee, jw_today()) e ON e.community_id = r.community_id AND e.side <> r.side)
      THEN 'not_counterparts'
  END
$$;

GRANT SELECT, INSERT ON evaluation_rating, training_record TO jw_staff;
GRANT EXECUTE ON FUNCTION evaluation_sides(integer, date), evaluation_rating_refusal(integer, integer) TO jw_staff;

-- Ratings: seen by the two people concerned and by whoever sees the ratee (colleagues in the
-- caller's jurisdiction, see the staff policy); written only by the rater, for a counterpart.
ALTER TABLE evaluation_rating ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_rating_read ON evaluation_rating FOR SELECT TO jw_staff
  USING (rater_id = (SELECT jw_staff_id()) OR EXISTS (SELECT 1 FROM staff s WHERE s.id = ratee_id));
CREATE POLICY jw_rating_write ON evaluation_rating FOR INSERT TO jw_staff
  WITH CHECK (rater_id = (SELECT jw_staff_id()) AND evaluation_rating_refusal(rater_id, ratee_id) IS NULL);

-- Training records: seen where the person is; written by command and station chiefs.
ALTER TABLE training_record ENABLE ROW LEVEL SECURITY;
CREATE POLICY jw_training_read ON training_record FOR SELECT TO jw_staff
  USING (EXISTS (SELECT 1 FROM staff s WHERE s.id = staff_id));
CREATE POLICY jw_training_write ON training_record FOR INSERT TO jw_staff
  WITH CHECK ((SELECT jw_user_roles() && ARRAY['command', 'station_chief']) AND EXISTS (SELECT 1 FROM staff s WHERE s.id = staff_id));
