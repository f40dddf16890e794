-- Keyword search of one collection (docs/sql.md): Okapi BM25 over whole documents, each shown
-- through its chunk with most query terms. The statement is sql/hits.sql over
-- sql/keyword_only.sql over sql/keyword_ranking.sql, with or without sql/document_filter.sql:
-- the same SQL the CLI composes, which calls this function. A filter that admits few documents
-- (sql/filter_is_narrow.sql) has their ids given to the postings' index with each query term;
-- one that admits many is tested on the best matches in score order (sql/keyword_top_checked.sql).
CREATE OR REPLACE FUNCTION {schema}.keyword_search(
    query       text,
    k           integer DEFAULT 10,
    candidates  integer DEFAULT 100,
    k1          float8 DEFAULT 1.2,
    b           float8 DEFAULT 0.75,
    prefix      text DEFAULT NULL,
    metadata    jsonb DEFAULT '{{}}'
) RETURNS SETOF {schema}.search_hit
LANGUAGE plpgsql
ROWS 10
AS $function$
DECLARE
    _candidates integer;
    _narrow boolean := false;
    _filtered boolean := false;
    _admitted bigint[];
BEGIN
    PERFORM {schema}.check_search_arguments(keyword_search.k, keyword_search.candidates,
                                            k1 => keyword_search.k1, b => keyword_search.b);
    _candidates := greatest(keyword_search.candidates, keyword_search.k);
    IF keyword_search.prefix IS NOT NULL OR coalesce(keyword_search.metadata, '{{}}') <> '{{}}'::jsonb THEN
        -- A custom plan (the function's SET): the filter reads its indexes with its values.
        SELECT n.narrow, n.admitted INTO _narrow, _admitted FROM ({narrow_filter}) AS n;
        _filtered := true;
    END IF;
    -- The search itself is planned once per session (a generic plan): it reads no filter index
    -- (the admitted ids are an array; a wide filter is tested per document by primary key), and
    -- a custom plan took ~2 ms to make for each search of 1,000,000 chunks (docs/performance.md).
    -- set_config is local to this call: the function's own SET restores the setting on return.
    PERFORM set_config('plan_cache_mode', 'force_generic_plan', true);
    IF _narrow THEN
        RETURN QUERY {admitted};
    ELSIF _filtered THEN
        RETURN QUERY {filtered};
    ELSE
        RETURN QUERY {unfiltered};
    END IF;
END
$function$;
