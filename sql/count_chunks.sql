-- Chunks and documents a semantic search may draw from (the chunk filter placeholder is
-- `true` or the search's document filter): exact. Used for a collection whose chunks table
-- was never analyzed (see chunk_counts.sql) and when long documents crowded a search's pool
-- of nearest chunks (search.py decides from it whether an exact search can find more).
SELECT count(*) AS chunks, count(DISTINCT c.document_id) AS documents
FROM {schema}.chunks AS c
WHERE {chunk_filter}
