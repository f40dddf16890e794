-- The HNSW settings of a search, until the end of the transaction (sql/create_tune_hnsw_function.sql).
SELECT {schema}.tune_hnsw(%(pool)s::bigint, %(filtered)s::boolean, %(documents)s::bigint)
