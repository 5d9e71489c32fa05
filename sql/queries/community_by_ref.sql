-- community_by_ref: resolves a community given by id or by code.
-- params:
--   $1 community_id integer | null
--   $2 community_code text | null
-- returns zero or one row: id int, code text
SELECT c.id, c.code FROM community c
WHERE ($1::int IS NOT NULL AND c.id = $1::int) OR ($1::int IS NULL AND c.code = $2::text)
LIMIT 1
