-- The share of the collection's documents a filter admits, by the planner's estimate
-- (sql/filter_estimate.sql, EXPLAINed): NULL without statistics, for a JSON null in the
-- metadata filter ("key missing or null" has no pair to estimate), or where the plan is not a
-- plain scan (a Citus table: its estimate is a constant). filter_is_wide below reads it, and
-- so does sql/keyword_top_checked.sql to know how deep to look for the matches that pass.
CREATE OR REPLACE FUNCTION {schema}.filter_share(prefix text, metadata jsonb) RETURNS float8
LANGUAGE plpgsql
AS $function$
DECLARE
    _documents float8;
    _plan json;
BEGIN
    SELECT cc.documents INTO _documents FROM ({chunk_counts}) AS cc;
    IF coalesce(_documents, 0) <= 0
       OR EXISTS (SELECT 1 FROM jsonb_each(filter_share.metadata) AS e WHERE e.value = 'null'::jsonb) THEN
        RETURN NULL;
    END IF;
    EXECUTE {explain} INTO _plan USING filter_share.prefix, coalesce(filter_share.metadata, '{{}}');
    IF _plan -> 0 -> 'Plan' ->> 'Node Type' = 'Custom Scan' THEN
        RETURN NULL;
    END IF;
    RETURN least((_plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8 / _documents, 1);
END
$function$;

-- Does a search's filter clearly admit too many chunks to rank them all exactly? Then
-- sql/filter_is_narrow.sql need not read cap + 1 documents (cap: pgvsearch.exact_filter_chunks)
-- to learn it: at 1,000,000 chunks a filter admitting a tenth spent 10-80 ms there, before
-- the HNSW index was read anyway (docs/performance.md). The planner's estimate of the documents
-- the filter admits (sql/filter_estimate.sql, EXPLAINed: well under a millisecond), times the
-- collection's chunks per document (sql/chunk_counts.sql), must reach the line: the setting
-- pgvsearch.wide_filter_chunks, else four times the cap and at least a twentieth of the
-- collection. Four times, so that an estimate off by less than 4x never sends a filter the
-- exact ranking would take to the index; a twentieth, so that in a big collection a wrong
-- "wide" still admits enough of it (above ~1 %) for the index's iterative scan to find its
-- matches within hnsw.max_scan_tuples. Below the line, or with no estimate (filter_share), false:
-- the documents are counted. A collection smaller than the line is never explained.
CREATE OR REPLACE FUNCTION {schema}.filter_is_wide(prefix text, metadata jsonb, cap bigint) RETURNS boolean
LANGUAGE plpgsql
AS $function$
DECLARE
    _documents float8;
    _chunks float8;
    _line float8;
BEGIN
    SELECT cc.documents, cc.chunks INTO _documents, _chunks FROM ({chunk_counts}) AS cc;
    IF coalesce(_documents, 0) <= 0 OR _chunks IS NULL THEN
        RETURN false;
    END IF;
    _line := coalesce(nullif(current_setting('pgvsearch.wide_filter_chunks', true), '')::float8,
                      greatest(4 * filter_is_wide.cap, _chunks / 20));
    IF _chunks < _line THEN
        RETURN false;
    END IF;
    RETURN coalesce({schema}.filter_share(filter_is_wide.prefix, filter_is_wide.metadata) * _chunks >= _line, false);
END
$function$;
