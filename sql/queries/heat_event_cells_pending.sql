-- heat_event_cells_pending: whether any event waits for its H3 cell (a probe of a partial index,
-- cheap enough to run before every heat query).
-- returns one row: pending bool
SELECT EXISTS (SELECT 1 FROM event_cell WHERE cell IS NULL) AS pending
