-- What a newer pgvsearch checks before its first search of a collection: the pgvector version
-- (iterative scans need 0.8) and the comments of the collection's search functions, which end
-- with the fingerprint of the SQL they were generated from (missing functions: no comment).
SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgvector,
       ARRAY(SELECT coalesce(obj_description(p.oid, 'pg_proc'), '')
             FROM pg_proc AS p
             JOIN pg_namespace AS n ON n.oid = p.pronamespace
             WHERE n.nspname = %(schema_name)s AND p.proname = ANY(%(functions)s)
             ORDER BY p.proname) AS comments
