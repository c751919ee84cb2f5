-- Every batch ingest commits updates the row of each device it heard from (last seen, sequence counters,
-- battery): about one row update per event. With room left on each page PostgreSQL makes these HOT
-- updates (no new index entry, the old version pruned in place), about a fifth less work per update than on
-- full pages. New pages get the room at once; pages written before it as rows move.
ALTER TABLE devices SET (fillfactor = 50);
