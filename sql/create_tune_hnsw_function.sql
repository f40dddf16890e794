-- The HNSW settings of a semantic branch that reads `pool` nearest chunks to rank `documents`
-- documents: hnsw.ef_search = twice the pool, counted as at least two chunks per document (at
-- least 40, pgvector's default; at most 1000): the graph search keeps that many candidates to
-- find the pool's nearest, and at 1,000,000 chunks an ef_search equal to the pool (200) found
-- 0.93 of the exact top 10, twice the pool 0.955 (docs/performance.md); a pool of one chunk per
-- document (sql/create_chunk_pool_function.sql) keeps that depth. With pgvector >= 0.8,
-- iterative scans for a filtered search or a pool deeper than ef_search, so that it still
-- returns enough rows. Binary storage reads {rerank} times the pool from its index
-- (sql/nearest_chunks_binary.sql). Set as SET LOCAL (set_config(..., true)): the search
-- functions name both settings in their SET clause, so they are restored when the search
-- returns; called on its own, they last until the end of the transaction. Returns the
-- ef_search set. (Earlier versions had no `documents`: that function is replaced.)
DROP FUNCTION IF EXISTS {schema}.tune_hnsw(bigint, boolean);
CREATE OR REPLACE FUNCTION {schema}.tune_hnsw(pool bigint, filtered boolean, documents bigint DEFAULT 0) RETURNS integer
LANGUAGE plpgsql
AS $function$
DECLARE
    _read bigint := tune_hnsw.pool * {rerank};
    _ef integer := least(1000, greatest(40, 2 * greatest(tune_hnsw.pool, 2 * tune_hnsw.documents) * {rerank}));
BEGIN
    PERFORM set_config('hnsw.ef_search', _ef::text, true);
    IF {iterative_scan} THEN
        PERFORM set_config('hnsw.iterative_scan',
                           CASE WHEN tune_hnsw.filtered OR _read > _ef THEN 'relaxed_order' ELSE 'off' END, true);
    END IF;
    RETURN _ef;
END
$function$;
