-- Hybrid search of one collection given the query's text and its embedding (docs/sql.md): the
-- semantic and keyword (BM25) rankings fused by Reciprocal Rank Fusion (fusion 'rrf') or
-- distribution-based score fusion ('dbsf'). The statements are sql/hits.sql over
-- sql/fuse_rrf.sql or sql/fuse_dbsf.sql over sql/semantic_ranking.sql and
-- sql/keyword_ranking.sql, with or without sql/document_filter.sql: the same SQL the CLI
-- composes, which calls this function. A filter that admits few chunks (sql/filter_is_narrow.sql)
-- has them all ranked exactly in the semantic branch; one that admits many reads the index.
CREATE OR REPLACE FUNCTION {schema}.hybrid_search(
    query            text,
    query_embedding  {vector_type},
    k                integer DEFAULT 10,
    candidates       integer DEFAULT 100,
    rrf_k            float8 DEFAULT 60,
    fusion           text DEFAULT 'rrf',
    semantic_weight  float8 DEFAULT 1,
    keyword_weight   float8 DEFAULT 1,
    k1               float8 DEFAULT 1.2,
    b                float8 DEFAULT 0.75,
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
    _narrow boolean := false;
    _admitted bigint[];
BEGIN
    PERFORM {schema}.check_search_arguments(
        hybrid_search.k, hybrid_search.candidates, hybrid_search.rrf_k, hybrid_search.fusion,
        hybrid_search.semantic_weight, hybrid_search.keyword_weight, hybrid_search.k1, hybrid_search.b);
    IF hybrid_search.query_embedding IS NULL THEN
        RAISE EXCEPTION 'query_embedding must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    _candidates := greatest(hybrid_search.candidates, hybrid_search.k);
    _filtered := hybrid_search.prefix IS NOT NULL OR coalesce(hybrid_search.metadata, '{{}}') <> '{{}}'::jsonb;
    _pool := {schema}.chunk_pool(_candidates);
    PERFORM {schema}.tune_hnsw(_pool, _filtered, _candidates);
    IF _filtered THEN
        SELECT n.narrow, n.admitted INTO _narrow, _admitted FROM ({narrow_filter}) AS n;
    END IF;
    -- The filter above is planned for its values; the search below once per session (a generic
    -- plan, as sql/create_keyword_search_function.sql says why: ~2.5 ms a call at 1,000,000 chunks).
    PERFORM set_config('plan_cache_mode', 'force_generic_plan', true);
    IF hybrid_search.fusion = 'dbsf' THEN
        IF _narrow THEN
            RETURN QUERY {dbsf_exact_filtered};
        ELSIF _filtered THEN
            RETURN QUERY {dbsf_filtered};
        ELSE
            RETURN QUERY {dbsf_unfiltered};
        END IF;
    ELSIF _narrow THEN
        RETURN QUERY {rrf_exact_filtered};
    ELSIF _filtered THEN
        RETURN QUERY {rrf_filtered};
    ELSE
        RETURN QUERY {rrf_unfiltered};
    END IF;
END
$function$;
