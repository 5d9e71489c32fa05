-- address_search: standard addresses (标准地址) whose text matches every search term, or whose code
-- starts with the query; used by the intake pick list (GET /api/addresses/search) and the search box
-- (GET /api/search). Run under the caller's scoped role: row-level security limits it to their
-- grids. Terms are regular expressions built by the route from literal text (escaped), matched
-- case-insensitively; a term starting with a digit must not follow another digit, so "3组" does not
-- match "13组". The anchor (the longest term as an ILIKE pattern) is implied by the patterns; it is
-- there because the trigram index (migration 00016) serves one ILIKE but not `~* ALL (array)`.
-- Best first: code prefix (in code order), then text starting with the query, then text holding it
-- in one piece, then shorter text.
-- params:
--   $1 patterns text[] (every one must match address_text)
--   $2 anchor text (ILIKE pattern '%term%', escaped with '\', that every match contains)
--   $3 code_prefix text (ILIKE pattern, escaped with '\': an address code starting with the query also matches)
--   $4 whole text (the query without spaces)
--   $5 row_limit int (the route caps it; one extra row is fetched to detect truncation)
-- returns rows: id int, code text, address_text text, category text, grid_id int, grid_name text,
--   community_name text, lon float8, lat float8
SELECT a.id, a.code, a.address_text, a.category, a.grid_id, g.name AS grid_name, c.name AS community_name,
       round(ST_X(a.geom)::numeric, 7)::float8 AS lon, round(ST_Y(a.geom)::numeric, 7)::float8 AS lat
FROM address a
LEFT JOIN grid g ON g.id = a.grid_id
LEFT JOIN community c ON c.id = g.community_id
WHERE (a.address_text ILIKE $2::text AND a.address_text ~* ALL ($1::text[]))
   OR a.code ILIKE $3::text
ORDER BY (a.code ILIKE $3::text) DESC, CASE WHEN a.code ILIKE $3::text THEN a.code END,
         (strpos(lower(a.address_text), lower($4::text)) = 1) DESC,
         (strpos(lower(a.address_text), lower($4::text)) > 0) DESC,
         length(a.address_text), a.id
LIMIT $5::int
