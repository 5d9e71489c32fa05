-- Row-level scope functions in PL/pgSQL: same queries, same results, planned once per database
-- session instead of once per call.
--
-- As LANGUAGE sql SECURITY DEFINER functions they cannot be inlined, and a non-inlined SQL function
-- plans its body again in every statement that calls it: every policy of every table a request
-- reads called them, ~0.4-1.3 ms each, several times per request (the event list paid ~2.3 ms of
-- its ~7 ms for them). PL/pgSQL keeps the prepared plan for the life of the connection.
-- CREATE OR REPLACE keeps each function's OID, owner and grants, so the policies that call them
-- are untouched.

CREATE OR REPLACE FUNCTION jw_user_roles() RETURNS text[] LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
BEGIN
  RETURN (
    SELECT CASE WHEN u.kind = 'display' THEN ARRAY['display']
                ELSE coalesce((SELECT array_agg(DISTINCT a.role ORDER BY a.role) FROM assignment a
                               WHERE a.staff_id = u.staff_id AND a.starts_on <= jw_today()
                                 AND (a.ends_on IS NULL OR a.ends_on >= jw_today())), '{}')
           END
    FROM app_user u WHERE u.id = jw_user_id() AND NOT u.disabled);
END
$$;

CREATE OR REPLACE FUNCTION jw_grid_ids() RETURNS integer[] LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
BEGIN
  RETURN (
    SELECT CASE WHEN u.kind = 'display' THEN (SELECT coalesce(array_agg(g.id), '{}') FROM grid g)
                ELSE coalesce((SELECT array_agg(DISTINCT ag.grid_id) FROM assignment_grids(jw_today()) ag
                               WHERE ag.staff_id = u.staff_id), '{}')
           END
    FROM app_user u WHERE u.id = jw_user_id() AND NOT u.disabled);
END
$$;

CREATE OR REPLACE FUNCTION jw_community_ids() RETURNS integer[] LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
BEGIN
  RETURN (SELECT coalesce(array_agg(DISTINCT g.community_id), '{}') FROM grid g WHERE g.id = ANY (jw_grid_ids()));
END
$$;
