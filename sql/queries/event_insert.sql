-- event_insert: records a new event in state 'reported'; the grid comes from the location (trigger).
-- params:
--   $1 code text
--   $2 type text
--   $3 subtype text | null
--   $4 severity int
--   $5 complexity text | null
--   $6 title text
--   $7 description text | null
--   $8 lon float8
--   $9 lat float8
--   $10 address_id int | null
--   $11 source text
--   $12 reported_by int | null (staff id)
--   $13 reporter_name text | null
--   $14 reported_at timestamptz
--   $15 due_at timestamptz
--   $16 client_id text | null (idempotency key)
-- returns one row: id int, code text, grid_id int, state text, version int, due_at timestamptz
INSERT INTO event (code, type, subtype, severity, complexity, title, description, geom, address_id, source,
                   reported_by, reporter_name, reported_at, due_at, client_id)
VALUES ($1::text, $2::text, $3::text, $4::int, $5::text, $6::text, $7::text,
        ST_SetSRID(ST_MakePoint($8::float8, $9::float8), 4326), $10::int, $11::text, $12::int, $13::text,
        $14::timestamptz, $15::timestamptz, $16::text)
RETURNING id, code, grid_id, state, version, due_at
