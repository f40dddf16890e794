-- Planner statistics after a bulk load, so that the first queries are planned on real counts
-- instead of waiting for autovacuum's analyze.
ANALYZE {schema}.documents, {schema}.chunks, {schema}.postings;
