-- Documents and chunks of a collection, to size the semantic branch's pool of nearest chunks.
-- Both are exact from the stats row (`exact`); where it has no chunk count (a stats view of a
-- collection distributed by an earlier version: read through to_jsonb, which takes a missing
-- column for NULL), the chunks are the planner's estimate scaled to the table's current size
-- (free, where counting would read every chunk), NULL when the table was never analyzed.
SELECT st.n_docs AS documents,
       coalesce((to_jsonb(st) ->> 'n_chunks')::float8, (
           SELECT CASE WHEN c.relpages > 0 AND c.reltuples >= 0
                       THEN c.reltuples / c.relpages * (pg_relation_size(c.oid) / current_setting('block_size')::float8)
                  END
           FROM pg_class AS c
           JOIN pg_namespace AS n ON n.oid = c.relnamespace
           WHERE n.nspname = %(schema_name)s AND c.relname = 'chunks')) AS chunks,
       (to_jsonb(st) ->> 'n_chunks') IS NOT NULL AS exact
FROM {schema}.stats AS st
