-- search: grids (网格), communities (社区/行政村) and key locations (重点部位) whose name or code
-- matches every word of a query: a word matches a name as a substring (ILIKE, case-insensitive)
-- and a code as a prefix. A grid also matches by its community's name ("东风 第3" finds 东风社区's
-- 第3网格). Best first: code prefix of the first word (in code order), then name prefix, then shorter names. Run
-- under the caller's scoped role, so row-level security leaves out what they may not see.
-- Addresses are searched by address_search (roles that may see address text only).
-- params:
--   $1 words text[] (LIKE wildcards % _ \ already escaped with \; at least one word)
--   $2 per_kind integer (rows per kind; the route asks one more to detect truncation)
-- returns rows: kind text (grid | community | key_location), id int, code text, name text,
--   context text | null (grid: community name; community: sub-district name; key location: grid name),
--   category text | null (community: village | community; key location: its type),
--   grid_id int | null, lon float8, lat float8 (a point inside the feature),
--   bbox float8[4] | null ([min_lon, min_lat, max_lon, max_lat] of a polygon)
WITH hit AS (
  (SELECT 'grid'::text AS kind, g.id, g.code, g.name, c.name AS context, NULL::text AS category, g.id AS grid_id, g.geom,
          CASE WHEN g.code ILIKE ($1::text[])[1] || '%' THEN 0 WHEN g.name ILIKE ($1::text[])[1] || '%' THEN 1 ELSE 2 END AS rank
   FROM grid g JOIN community c ON c.id = g.community_id
   WHERE NOT EXISTS (SELECT 1 FROM unnest($1::text[]) w
                     WHERE NOT (g.name ILIKE '%' || w || '%' OR c.name ILIKE '%' || w || '%' OR g.code ILIKE w || '%'))
   ORDER BY 9, CASE WHEN g.code ILIKE ($1::text[])[1] || '%' THEN g.code END, length(g.name), g.id
   LIMIT $2::int)
  UNION ALL
  (SELECT 'community', c.id, c.code, c.name, s.name, c.kind, NULL::int, c.geom,
          CASE WHEN c.code ILIKE ($1::text[])[1] || '%' THEN 0 WHEN c.name ILIKE ($1::text[])[1] || '%' THEN 1 ELSE 2 END
   FROM community c JOIN subdistrict s ON s.id = c.subdistrict_id
   WHERE NOT EXISTS (SELECT 1 FROM unnest($1::text[]) w WHERE NOT (c.name ILIKE '%' || w || '%' OR c.code ILIKE w || '%'))
   ORDER BY 9, CASE WHEN c.code ILIKE ($1::text[])[1] || '%' THEN c.code END, length(c.name), c.id
   LIMIT $2::int)
  UNION ALL
  (SELECT 'key_location', k.id, k.code, k.name, g.name, k.type, k.grid_id, k.geom,
          CASE WHEN k.code ILIKE ($1::text[])[1] || '%' THEN 0 WHEN k.name ILIKE ($1::text[])[1] || '%' THEN 1 ELSE 2 END
   FROM key_location k LEFT JOIN grid g ON g.id = k.grid_id
   WHERE NOT EXISTS (SELECT 1 FROM unnest($1::text[]) w WHERE NOT (k.name ILIKE '%' || w || '%' OR k.code ILIKE w || '%'))
   ORDER BY 9, CASE WHEN k.code ILIKE ($1::text[])[1] || '%' THEN k.code END, length(k.name), k.id
   LIMIT $2::int)
)
SELECT h.kind, h.id, h.code, h.name, h.context, h.category, h.grid_id,
       round(ST_X(p.pt)::numeric, 7)::float8 AS lon, round(ST_Y(p.pt)::numeric, 7)::float8 AS lat,
       CASE WHEN GeometryType(h.geom) = 'POINT' THEN NULL
            ELSE ARRAY[round(ST_XMin(h.geom)::numeric, 7), round(ST_YMin(h.geom)::numeric, 7),
                       round(ST_XMax(h.geom)::numeric, 7), round(ST_YMax(h.geom)::numeric, 7)]::float8[] END AS bbox
FROM hit h
CROSS JOIN LATERAL (SELECT CASE WHEN GeometryType(h.geom) = 'POINT' THEN h.geom ELSE ST_PointOnSurface(h.geom) END AS pt) p
ORDER BY CASE h.kind WHEN 'grid' THEN 0 WHEN 'community' THEN 1 ELSE 2 END, h.rank, CASE WHEN h.rank = 0 THEN h.code END, length(h.name), h.id
