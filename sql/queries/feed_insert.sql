-- feed_insert: appends a message for the three-level groups.
-- params:
--   $1 kind text
--   $2 event_id int | null
--   $3 grid_id int | null
--   $4 groups text[]
--   $5 payload jsonb
--   $6 at timestamptz
-- returns one row: id text, at timestamptz
INSERT INTO feed_message (kind, event_id, grid_id, groups, payload, at)
VALUES ($1::text, $2::int, $3::int, $4::text[], $5::jsonb, $6::timestamptz)
RETURNING id::text, at
