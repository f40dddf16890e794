SELECT
    (SELECT count(*) FROM {schema}.documents)                         AS documents,
    (SELECT count(*) FROM {schema}.chunks)                            AS chunks,
    (SELECT count(*) FROM {schema}.postings)                          AS postings,
    pg_total_relation_size(to_regclass(%(documents)s))                AS documents_bytes,
    pg_total_relation_size(to_regclass(%(chunks)s))                   AS chunks_bytes,
    pg_relation_size(to_regclass(%(hnsw_index)s))                     AS hnsw_index_bytes,
    pg_relation_size(to_regclass(%(gin_index)s))                      AS gin_index_bytes,
    pg_total_relation_size(to_regclass(%(postings)s))                 AS postings_bytes,
    (SELECT max(updated_at) FROM {schema}.documents)                  AS last_update;
