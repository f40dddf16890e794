-- Documents (exact, from the stats row) and chunks of a collection, to size the semantic branch's
-- pool of nearest chunks. The chunk count is the planner's estimate scaled to the table's current
-- size (free, where counting would read every chunk); NULL when the table was never analyzed.
SELECT (SELECT n_docs FROM {schema}.stats) AS documents,
       (SELECT CASE WHEN c.relpages > 0 AND c.reltuples >= 0
                    THEN c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::float8)
               END
        FROM pg_class AS c
        JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname = %(schema_name)s AND c.relname = 'chunks') AS chunks_estimate
