-- feed_publish: committed messages after an id, for the in-process hub (runs as the owner; the
-- hub filters per listener).
-- params:
--   $1 after_id bigint
-- returns rows: id text, at timestamptz, kind text, event_id int, grid_id int, groups text[], payload jsonb
SELECT id::text, at, kind, event_id, grid_id, groups, payload
FROM feed_message
WHERE id > $1::bigint
ORDER BY feed_message.id
LIMIT 5000
