-- What a collection takes on disk, table by table (heap with its TOAST, and its indexes), and
-- what the server gives it in memory: for `pgvsearch status` to say whether the HNSW index
-- stays in shared_buffers. %(schema_name)s is the collection's schema.
SELECT t.relname AS table_name,
       pg_relation_size(t.oid) + coalesce(pg_total_relation_size(nullif(t.reltoastrelid, 0)), 0) AS heap_bytes,
       pg_indexes_size(t.oid) AS index_bytes,
       pg_size_bytes(current_setting('shared_buffers')) AS shared_buffers_bytes,
       pg_size_bytes(current_setting('effective_cache_size')) AS effective_cache_size_bytes,
       (SELECT e.extversion FROM pg_extension AS e WHERE e.extname = 'vector') AS pgvector
FROM pg_class AS t
JOIN pg_namespace AS n ON n.oid = t.relnamespace
WHERE n.nspname = %(schema_name)s AND t.relkind = 'r'
ORDER BY t.relname
