-- address_search: standard addresses (标准地址) whose text matches every search term, for intake by
-- typing an address. No trigram index exists (pg_trgm is not installed), so this is a filtered scan
-- of the caller's addresses: row-level security limits it to their grids. Terms are regular
-- expressions built by the route from literal text (escaped), matched case-insensitively; a term
-- starting with a digit must not follow another digit, so "3组" does not match "13组".
-- params:
--   $1 patterns text[] (every one must match address_text)
--   $2 code_prefix text (LIKE pattern, escaped with '\': an address code starting with the query also matches)
--   $3 whole text (the query without spaces; addresses containing it in one piece rank first)
--   $4 row_limit int (the route caps it; one extra row is fetched to detect truncation)
-- returns rows: id int, code text, address_text text, category text, grid_id int, grid_name text,
--   community_name text, lon float8, lat float8
SELECT a.id, a.code, a.address_text, a.category, a.grid_id, g.name AS grid_name, c.name AS community_name,
       round(ST_X(a.geom)::numeric, 7)::float8 AS lon, round(ST_Y(a.geom)::numeric, 7)::float8 AS lat
FROM address a
LEFT JOIN grid g ON g.id = a.grid_id
LEFT JOIN community c ON c.id = g.community_id
WHERE a.address_text ~* ALL ($1::text[])
   OR a.code ILIKE $2::text
ORDER BY (a.code ILIKE $2::text) DESC, (strpos(a.address_text, $3::text) > 0) DESC, length(a.address_text), a.id
LIMIT $4::int
