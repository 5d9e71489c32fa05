-- heat_event_cells_store: stores res-11 H3 cells computed by h3-js. Each row carries the point the
-- cell was computed from and is written only if the event still stands there and is still
-- pending, so a concurrent move (which re-queues the event) is never overwritten with a stale cell.
-- params:
--   $1 event_ids integer[]
--   $2 cells bigint[] (res-11 H3 indexes)
--   $3 lons float8[] (the points the cells were computed from)
--   $4 lats float8[]
-- returns one row: n int (cells written)
WITH written AS (
  UPDATE event_cell c SET cell = u.cell
  FROM unnest($1::int[], $2::bigint[], $3::float8[], $4::float8[]) AS u(event_id, cell, lon, lat)
  WHERE c.event_id = u.event_id AND c.lon = u.lon AND c.lat = u.lat AND c.cell IS NULL
  RETURNING 1
)
SELECT count(*)::int AS n FROM written
