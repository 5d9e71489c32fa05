-- feed_since: messages after a given id (SSE replay on reconnect with Last-Event-ID), oldest
-- first, in the caller's scope (row-level security) and groups.
-- params:
--   $1 after_id bigint
--   $2 groups text[]
--   $3 row_limit int
-- returns rows: id text, at timestamptz, kind text, event_id int, grid_id int, groups text[], payload jsonb
SELECT id::text, at, kind, event_id, grid_id, groups, payload
FROM feed_message
WHERE id > $1::bigint AND groups && $2::text[]
ORDER BY feed_message.id
LIMIT $3::int
