-- Planner statistics after a bulk load, so that the first queries are planned on real counts
-- instead of waiting for autovacuum's analyze.
ANALYZE {schema}.documents, {schema}.chunks, {schema}.postings;
-- And the narrow filter's pairs (sql/create_filter_indexes.sql), where they are a table: a
-- collection made by an earlier version has none until its first search or `init`, and a
-- Citus one has a view.
DO $$
BEGIN
    IF (SELECT c.relkind FROM pg_class AS c WHERE c.oid = to_regclass('{schema}.document_pairs')) = 'r' THEN
        ANALYZE {schema}.document_pairs;
    END IF;
END
$$;
