-- Exact chunk count, for a collection whose chunks table was never analyzed (see chunk_counts.sql).
SELECT count(*) FROM {schema}.chunks
