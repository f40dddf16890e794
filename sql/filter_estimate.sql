-- The documents a search's filter admits, as the planner sees it: this statement is EXPLAINed
-- (sql/create_filter_is_wide_function.sql) for its estimated rows, from the statistics of the
-- doc_id and source pattern indexes (sql/prefix_filter.sql) and of the GIN index of the
-- metadata pairs (sql/metadata_pairs_filter.sql). Only those indexable tests: the rest of
-- sql/document_filter.sql decides nothing a pair does not, and the planner would guess at it.
SELECT 1 FROM {schema}.documents AS d
WHERE {prefix_filter}
  AND {metadata_pairs_filter}
