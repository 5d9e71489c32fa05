-- Persons of concern on the map: where they live (their address point), by category and control
-- level, with the identity masked. Read through a function that checks role and jurisdiction and
-- writes the audit log in the same transaction, like jw_persons.

-- 张三 -> 张*, 欧阳娜娜 -> 欧阳**: enough to tell markers apart, not to identify anyone.
CREATE FUNCTION jw_mask_name(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v IS NULL THEN NULL WHEN char_length(v) <= 1 THEN '*'
              WHEN char_length(v) <= 3 THEN left(v, 1) || repeat('*', char_length(v) - 1)
              ELSE left(v, 2) || repeat('*', char_length(v) - 2) END
$$;

CREATE TYPE jw_person_point AS (
  id integer, code text, name text, category text, control_level smallint, address_id integer,
  grid_id integer, lon double precision, lat double precision
);

-- Active persons (no end date, or one not yet passed) whose address lies in the box.
CREATE FUNCTION jw_person_points(p_min_lon float8, p_min_lat float8, p_max_lon float8, p_max_lat float8,
                                 p_categories text[], p_levels smallint[], p_limit integer)
RETURNS SETOF jw_person_point
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  n integer;
  -- Once, not per row: the jurisdiction is a join over assignments.
  grids integer[] := jw_grid_ids();
  today date := jw_today();
BEGIN
  PERFORM jw_require_person_access();
  RETURN QUERY
    SELECT p.id, p.code, jw_mask_name(p.name), p.category, p.control_level, p.address_id, a.grid_id,
           round(ST_X(a.geom)::numeric, 7)::float8, round(ST_Y(a.geom)::numeric, 7)::float8
    FROM person_of_concern p JOIN address a ON a.id = p.address_id
    WHERE a.geom && ST_MakeEnvelope(p_min_lon, p_min_lat, p_max_lon, p_max_lat, 4326)
      AND a.grid_id = ANY (grids)
      AND (p.until IS NULL OR p.until >= today)
      AND (p_categories IS NULL OR p.category = ANY (p_categories))
      AND (p_levels IS NULL OR p.control_level = ANY (p_levels))
    ORDER BY p.id LIMIT p_limit;
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM jw_audit('person.map', 'bbox', concat_ws(',', p_min_lon, p_min_lat, p_max_lon, p_max_lat), NULL,
                   jsonb_build_object('rows', n, 'categories', p_categories, 'levels', p_levels));
END $$;

REVOKE ALL ON FUNCTION jw_person_points(float8, float8, float8, float8, text[], smallint[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jw_person_points(float8, float8, float8, float8, text[], smallint[], integer) TO jw_staff;
