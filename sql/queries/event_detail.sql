-- event_detail: one event with its grid and community names and its whole log (timeline).
-- params:
--   $1 event_id int
-- returns zero or one row: event json (all columns but geom, plus lon, lat, grid_name,
--   community_id, community_name), log json (array of {at, action, from_state, to_state, actor_name, note})
SELECT to_jsonb(e) - 'geom' || jsonb_build_object(
         'lon', ST_X(e.geom), 'lat', ST_Y(e.geom), 'grid_name', g.name, 'community_id', g.community_id,
         'community_name', c.name) AS event,
       coalesce((SELECT jsonb_agg(jsonb_build_object('at', l.at, 'action', l.action, 'from_state', l.from_state,
                   'to_state', l.to_state, 'actor_name', l.actor_name, 'note', l.note, 'details', l.details) ORDER BY l.at, l.id)
                 FROM event_log l WHERE l.event_id = e.id), '[]'::jsonb) AS log
FROM event e
LEFT JOIN grid g ON g.id = e.grid_id
LEFT JOIN community c ON c.id = g.community_id
WHERE e.id = $1::int
