-- How many nearest chunks the semantic branch reads to rank `documents` documents. Several
-- chunks may belong to one document, so it draws twice the collection's average chunks per
-- document for each document wanted (at least 2, at most 10 per document); a pool that still
-- yields too few documents is searched exactly (sql/create_semantic_search_function.sql).
-- The average comes from sql/chunk_counts.sql (the stats row and the planner's estimate), or
-- sql/count_chunks.sql when the chunks were never analyzed.
CREATE OR REPLACE FUNCTION {schema}.chunk_pool(documents bigint) RETURNS bigint
LANGUAGE plpgsql STABLE
AS $function$
DECLARE
    _documents bigint;
    _chunks float8;
    _per_document float8;
BEGIN
    SELECT cc.documents, cc.chunks_estimate INTO _documents, _chunks FROM ({chunk_counts}) AS cc;
    IF _chunks IS NULL THEN
        SELECT cc.count INTO _chunks FROM ({count_chunks}) AS cc;
    END IF;
    _per_document := CASE WHEN coalesce(_documents, 0) > 0 THEN greatest(1.0, _chunks / _documents) ELSE 1.0 END;
    RETURN chunk_pool.documents * least(10, greatest(2, ceil(2 * _per_document)))::bigint;
END
$function$;
