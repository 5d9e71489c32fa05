-- search_addresses: standard addresses (标准地址) whose text contains every word of a query
-- (ILIKE substring) or whose code starts with it; best first: code prefix of the first word (in code order), then
-- text prefix, then shorter text. Run under the caller's scoped role (row-level security applies);
-- only roles that may read address text call it. No trigram index exists yet, so at city scale
-- (2M addresses) this is a sequential scan bounded by the cap, not an index lookup.
-- params:
--   $1 words text[] (LIKE wildcards % _ \ already escaped with \; at least one word)
--   $2 row_limit integer (the route asks one more to detect truncation)
-- returns rows: kind text ('address'), id int, code text, name text (the address text),
--   context text | null (grid name), category text (general | key | attention), grid_id int | null,
--   lon float8, lat float8, bbox null
SELECT 'address'::text AS kind, a.id, a.code, a.address_text AS name, g.name AS context, a.category, a.grid_id,
       round(ST_X(a.geom)::numeric, 7)::float8 AS lon, round(ST_Y(a.geom)::numeric, 7)::float8 AS lat,
       NULL::float8[] AS bbox
FROM address a LEFT JOIN grid g ON g.id = a.grid_id
WHERE NOT EXISTS (SELECT 1 FROM unnest($1::text[]) w WHERE NOT (a.address_text ILIKE '%' || w || '%' OR a.code ILIKE w || '%'))
ORDER BY CASE WHEN a.code ILIKE ($1::text[])[1] || '%' THEN 0 WHEN a.address_text ILIKE ($1::text[])[1] || '%' THEN 1 ELSE 2 END,
         CASE WHEN a.code ILIKE ($1::text[])[1] || '%' THEN a.code END, length(a.address_text), a.id
LIMIT $2::int
