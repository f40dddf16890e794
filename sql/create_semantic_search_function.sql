-- Semantic search of one collection given the query's embedding (docs/sql.md): the `k`
-- documents nearest to it, each through its nearest chunk. The statements are sql/hits.sql over
-- sql/semantic_only.sql over sql/semantic_ranking.sql (or sql/semantic_exact.sql), with or
-- without sql/document_filter.sql: the same SQL the CLI composes, which calls this function.
-- A filter that admits few chunks (sql/filter_is_narrow.sql, which also returns their
-- documents' ids) has them all ranked exactly, without the index; one that admits many reads
-- the index, testing each chunk's document.
-- When the nearest chunks were crowded by a few long documents (fewer than k documents found,
-- but more exist), every chunk the filter admits is ranked exactly, without the index, once,
-- rather than drawing ever wider approximate pools.
CREATE OR REPLACE FUNCTION {schema}.semantic_search(
    query_embedding  {vector_type},
    k                integer DEFAULT 10,
    candidates       integer DEFAULT 100,
    prefix           text DEFAULT NULL,
    metadata         jsonb DEFAULT '{{}}'
) RETURNS SETOF {schema}.search_hit
LANGUAGE plpgsql
ROWS 10
{hnsw_settings}
AS $function$
DECLARE
    _candidates integer;
    _filtered boolean;
    _pool bigint;
    _hits {schema}.search_hit[];
    _narrow boolean := false;
    _admitted bigint[];
BEGIN
    PERFORM {schema}.check_search_arguments(semantic_search.k, semantic_search.candidates);
    IF semantic_search.query_embedding IS NULL THEN
        RAISE EXCEPTION 'query_embedding must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    _candidates := greatest(semantic_search.candidates, semantic_search.k);
    _filtered := semantic_search.prefix IS NOT NULL OR coalesce(semantic_search.metadata, '{{}}') <> '{{}}'::jsonb;
    _pool := {schema}.chunk_pool(_candidates);
    PERFORM {schema}.tune_hnsw(_pool, _filtered, _candidates);
    IF _filtered THEN
        SELECT n.narrow, n.admitted INTO _narrow, _admitted FROM ({narrow_filter}) AS n;
    END IF;
    IF _narrow THEN
        _hits := ARRAY(SELECT ROW(h.*)::{schema}.search_hit FROM ({exact_admitted}) AS h ORDER BY h.rank);
    ELSIF _filtered THEN
        _hits := ARRAY(SELECT ROW(h.*)::{schema}.search_hit FROM ({filtered}) AS h ORDER BY h.rank);
        IF cardinality(_hits) < semantic_search.k THEN
            IF cardinality(_hits) < (SELECT n.count FROM ({count_filtered}) AS n) THEN
                _hits := ARRAY(SELECT ROW(h.*)::{schema}.search_hit FROM ({exact_filtered}) AS h ORDER BY h.rank);
            END IF;
        END IF;
    ELSE
        _hits := ARRAY(SELECT ROW(h.*)::{schema}.search_hit FROM ({unfiltered}) AS h ORDER BY h.rank);
        IF cardinality(_hits) < semantic_search.k THEN
            IF cardinality(_hits) < (SELECT n.count FROM ({count_unfiltered}) AS n) THEN
                _hits := ARRAY(SELECT ROW(h.*)::{schema}.search_hit FROM ({exact_unfiltered}) AS h ORDER BY h.rank);
            END IF;
        END IF;
    END IF;
    RETURN QUERY SELECT h.* FROM unnest(_hits) AS h ORDER BY h.rank;
END
$function$;
