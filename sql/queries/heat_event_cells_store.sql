-- heat_event_cells_store: stores res-11 H3 cells computed by h3-js. Each row carries the point the
-- cell was computed from and is written only if the event still stands there, so a concurrent move
-- (which re-queues the event) is never overwritten with a stale cell.
-- params:
--   $1 event_ids integer[]
--   $2 cells bigint[] (res-11 H3 indexes)
--   $3 lons float8[] (the points the cells were computed from)
--   $4 lats float8[]
-- returns one row: n int (cells written)
WITH input AS (
  SELECT u.event_id, u.cell
  FROM unnest($1::int[], $2::bigint[], $3::float8[], $4::float8[]) AS u(event_id, cell, lon, lat)
  JOIN event e ON e.id = u.event_id AND ST_X(e.geom) = u.lon AND ST_Y(e.geom) = u.lat
), written AS (
  INSERT INTO event_cell (event_id, cell)
  SELECT event_id, cell FROM input
  ON CONFLICT (event_id) DO UPDATE SET cell = EXCLUDED.cell
  RETURNING 1
)
SELECT count(*)::int AS n FROM written
