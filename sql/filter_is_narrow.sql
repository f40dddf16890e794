-- Does the search's document filter (the placeholder) admit at most N chunks, N being the
-- setting pgvsearch.exact_filter_chunks (20,000 unless set)? Then the semantic branch ranks
-- every admitted chunk exactly (their documents found through the filter's indexes): a few
-- milliseconds per thousand chunks, and every match found. A filter admitting more reads the
-- HNSW index with pgvector's iterative scan, testing each chunk's document as it comes, which
-- costs about the same whatever the collection's size. Measured in docs/performance.md. Reads
-- at most N + 1 documents, whatever the filter admits, and none when the planner's estimate
-- says the filter is far wider than N (sql/create_filter_is_wide_function.sql); when narrow,
-- their ids (`admitted`) are what the exact ranking reads, so the filter is looked up once per
-- search, not once per branch. In id order: each query term's index scan sorts the ids it is
-- given, which for ids already in order is one pass (10,000 shuffled ids cost a keyword
-- search filtered to a hundredth of 1,000,000 chunks 40.0 ms p50, sorted 30.4).
WITH s AS (SELECT coalesce(nullif(current_setting('pgvsearch.exact_filter_chunks', true), '')::bigint, 20000) AS cap),
w AS (SELECT {schema}.filter_is_wide(%(prefix)s, %(meta)s, (SELECT s.cap FROM s)) AS wide),
a AS (
    SELECT d.id, d.chunk_count FROM {schema}.documents AS d
    WHERE NOT (SELECT w.wide FROM w) AND {doc_filter}
    LIMIT (SELECT s.cap FROM s) + 1
)
SELECT n.narrow, CASE WHEN n.narrow THEN n.ids END AS admitted
FROM (
    SELECT NOT (SELECT w.wide FROM w) AND count(*) <= (SELECT s.cap FROM s)
           AND coalesce(sum(a.chunk_count), 0) <= (SELECT s.cap FROM s) AS narrow,
           coalesce(array_agg(a.id ORDER BY a.id), '{{}}') AS ids
    FROM a
) AS n
