-- heat_event_cells_todo: the next batch of events without an H3 cell (pending after insert or after
-- their point moved, or never enqueued because a bulk load bypassed triggers), in id order so the
-- caller can page with the last id it saw.
-- params:
--   $1 after_id integer (0 to start)
--   $2 batch integer
-- returns rows: id int, lon float8, lat float8
SELECT e.id, ST_X(e.geom) AS lon, ST_Y(e.geom) AS lat
FROM event e
LEFT JOIN event_cell c ON c.event_id = e.id
WHERE c.cell IS NULL AND e.id > $1::int
ORDER BY e.id
LIMIT $2::int
