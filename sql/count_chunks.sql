-- Chunks a semantic search may draw from (the chunk filter placeholder is `true` or the
-- search's document filter): exact, for a collection whose chunks table was never analyzed
-- (see chunk_counts.sql) and for deciding whether a crowded pool can be widened (search.py).
SELECT count(*) FROM {schema}.chunks AS c WHERE {chunk_filter}
