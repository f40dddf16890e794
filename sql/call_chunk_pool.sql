-- The chunk pool a search of `documents` documents reads (sql/create_chunk_pool_function.sql).
SELECT {schema}.chunk_pool(%(documents)s::bigint)
