-- heat_event_cells_todo: the next batch of events waiting for their H3 cell (new, or moved), in id
-- order so the caller can page with the last id it saw. Reads the pending partial index only.
-- params:
--   $1 after_id integer (0 to start)
--   $2 batch integer
-- returns rows: id int, lon float8, lat float8
SELECT c.event_id AS id, c.lon, c.lat
FROM event_cell c
WHERE c.cell IS NULL AND c.event_id > $1::int
ORDER BY c.event_id
LIMIT $2::int
