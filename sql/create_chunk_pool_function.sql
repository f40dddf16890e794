-- How many nearest chunks the semantic branch reads to rank `documents` documents. Several
-- chunks may belong to one document, so it draws twice the collection's average chunks per
-- document for each document wanted (at least 2, at most 10 per document); a pool that still
-- yields too few documents is searched exactly (sql/create_semantic_search_function.sql). When
-- every document is one chunk (counted exactly), the nearest `documents` chunks are the
-- nearest documents: it draws one per document, and a filtered search tests half as many chunks.
-- The counts come from sql/chunk_counts.sql (the stats row, else the planner's estimate), or
-- sql/count_chunks.sql when the chunks were never counted nor analyzed.
CREATE OR REPLACE FUNCTION {schema}.chunk_pool(documents bigint) RETURNS bigint
LANGUAGE plpgsql STABLE
AS $function$
DECLARE
    _documents bigint;
    _chunks float8;
    _exact boolean;
    _per_document float8;
BEGIN
    SELECT cc.documents, cc.chunks, cc.exact INTO _documents, _chunks, _exact FROM ({chunk_counts}) AS cc;
    IF _chunks IS NULL THEN
        SELECT cc.count INTO _chunks FROM ({count_chunks}) AS cc;
        _exact := true;
    END IF;
    IF _exact AND _chunks = _documents THEN
        RETURN chunk_pool.documents;
    END IF;
    _per_document := CASE WHEN coalesce(_documents, 0) > 0 THEN greatest(1.0, _chunks / _documents) ELSE 1.0 END;
    RETURN chunk_pool.documents * least(10, greatest(2, ceil(2 * _per_document)))::bigint;
END
$function$;
