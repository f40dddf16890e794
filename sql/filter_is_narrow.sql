-- Does the search's document filter (the placeholder) admit at most N chunks, N being the
-- setting pgvsearch.exact_filter_chunks (20,000 unless set)? Then the semantic branch ranks
-- every admitted chunk exactly (their documents found through the filter's indexes): a few
-- milliseconds per thousand chunks, and every match found. A filter admitting more reads the
-- HNSW index with pgvector's iterative scan, testing each chunk's document as it comes, which
-- costs about the same whatever the collection's size. Measured in docs/performance.md. Reads
-- none of the filter's documents when the planner's estimate says the filter is far wider than
-- N (sql/create_filter_is_wide_function.sql), and otherwise their ids and chunk counts from
-- indexes alone where it can (sql/create_filter_indexes.sql): a --prefix alone from the two
-- pattern indexes' ranges (read whole, then limited), a --meta of one key from the range of its
-- pair in the pairs table; any other filter tests at most N + 1 documents. When narrow,
-- their ids (`admitted`) are what the exact ranking reads, so the filter is looked up once per
-- search, not once per branch. In id order: each query term's index scan sorts the ids it is
-- given, which for ids already in order is one pass (10,000 shuffled ids cost a keyword
-- search filtered to a hundredth of 1,000,000 chunks 40.0 ms p50, sorted 30.4).
WITH s AS (SELECT coalesce(nullif(current_setting('pgvsearch.exact_filter_chunks', true), '')::bigint, 20000) AS cap),
w AS (SELECT {schema}.filter_is_wide(%(prefix)s, %(meta)s, (SELECT s.cap FROM s)) AS wide),
m AS (SELECT {schema}.metadata_pairs(%(meta)s::jsonb) AS pairs),
-- document_pairs is the table sql/create_filter_indexes.sql keeps, or the view a Citus collection has.
t AS (SELECT c.relkind = 'r' AS kept FROM pg_class AS c WHERE c.oid = '{schema}.document_pairs'::regclass),
a AS (
    SELECT x.id, x.chunk_count
    FROM (
        -- A --prefix alone (a doc_id's or a source's): two index ranges.
        (SELECT d.id, d.chunk_count FROM {schema}.documents AS d
         WHERE %(prefix)s::text IS NOT NULL AND coalesce(%(meta)s::jsonb, '{{}}') = '{{}}' AND starts_with(d.doc_id, %(prefix)s)
         UNION
         SELECT d.id, d.chunk_count FROM {schema}.documents AS d
         WHERE %(prefix)s::text IS NOT NULL AND coalesce(%(meta)s::jsonb, '{{}}') = '{{}}' AND starts_with(d.source, %(prefix)s))
        UNION ALL
        -- A --meta of one pair (sql/metadata_one_pair.sql): the pair's range of document_pairs,
        -- in id order, where it is the table.
        SELECT p.document_id, p.chunk_count FROM {schema}.document_pairs AS p
        WHERE {one_pair} AND p.pair = (SELECT m.pairs[1] FROM m) AND (SELECT t.kept FROM t)
        UNION ALL
        -- Any other filter: documents found through the filter's indexes, then tested.
        SELECT d.id, d.chunk_count FROM {schema}.documents AS d
        WHERE NOT (%(prefix)s::text IS NOT NULL AND coalesce(%(meta)s::jsonb, '{{}}') = '{{}}')
          AND NOT ({one_pair} AND (SELECT t.kept FROM t))
          AND {doc_filter}
    ) AS x
    WHERE NOT (SELECT w.wide FROM w)
    LIMIT (SELECT s.cap FROM s) + 1
)
SELECT n.narrow, CASE WHEN n.narrow THEN n.ids END AS admitted
FROM (
    SELECT NOT (SELECT w.wide FROM w) AND count(*) <= (SELECT s.cap FROM s)
           AND coalesce(sum(a.chunk_count), 0) <= (SELECT s.cap FROM s) AS narrow,
           coalesce(array_agg(a.id ORDER BY a.id), '{{}}') AS ids
    FROM a
) AS n
