-- Is the HNSW index there? The parameter is its schema-qualified, quoted name.
SELECT to_regclass(%(index)s) IS NOT NULL AS present;
